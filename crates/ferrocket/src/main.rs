fn main() {
    println!("ferrocket");
}
