//! Try an expression from the command line:
//! `cargo run -p ferrocket-filter --example filter_check -- "a BETWEEN 3 AND 7" a=5 TAGS=TagA`
//! prints the compile error, or the three-valued result for the given properties.

use std::collections::HashMap;

use ferrocket_filter::Expression;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(source) = args.next() else {
        eprintln!("usage: filter_check EXPRESSION [NAME=VALUE ...]");
        std::process::exit(2);
    };
    let props: HashMap<String, String> = args
        .filter_map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect();
    match Expression::compile(&source) {
        Err(e) => {
            println!("{e}");
            std::process::exit(1);
        }
        Ok(e) => match e.evaluate(&props) {
            Ok(Some(b)) => println!("{}", if b { "TRUE (match)" } else { "FALSE" }),
            Ok(None) => println!("NULL (no match)"),
            Err(err) => println!("evaluation error: {err} (no match)"),
        },
    }
}
