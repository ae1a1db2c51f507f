//! Evaluation allocates nothing (counted with a wrapping global allocator) and stays cheap;
//! the cost per evaluation is printed for reference. Also checks that the deepest accepted
//! expressions compile, evaluate and drop on a small thread stack.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Instant;

use ferrocket_filter::{EncodedProperties, Expression};

struct Counting;

thread_local! {
    // Per thread, so tests running in parallel do not count each other's allocations.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwards the caller's layout unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: ptr came from System.alloc with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const EXPRS: &[&str] = &[
    "(TAGS is not null and TAGS in ('TagA', 'TagB')) and (a is not null and a between 0 and 3)",
    "a > b OR price >= 10.5 AND region NOT IN ('eu', 'us') AND name CONTAINS 'x'",
    "a = TRUE OR NOT (b <> 'y') OR c IS NULL OR -a < 2147483648",
    "a > 'x' IS NULL", // does not compile; filtered below
];

#[test]
fn evaluation_allocates_nothing() {
    let props = "TAGS\u{1}TagB\u{2}a\u{1}2\u{2}b\u{1}1.5\u{2}price\u{1}12\u{2}region\u{1}cn\u{2}name\u{1}xyz\u{2}\
                 UNIQ_KEY\u{1}7F00000100012A9F8B5A1B2C3D4E0000\u{2}WAIT\u{1}true\u{2}";
    let source = EncodedProperties::new(props);
    let exprs: Vec<Expression> = EXPRS
        .iter()
        .filter_map(|s| Expression::compile(s).ok())
        .collect();
    assert_eq!(exprs.len(), 3);
    let bad = [("a", "not a number"), ("b", "x")];
    let rounds = 20_000;
    let before = allocations();
    let start = Instant::now();
    let mut hits = 0usize;
    for _ in 0..rounds {
        for e in &exprs {
            hits += usize::from(e.matches(&source));
            hits += usize::from(e.matches(&bad[..]));
        }
    }
    let elapsed = start.elapsed();
    let allocations = allocations() - before;
    assert_eq!(allocations, 0, "evaluation allocated");
    // each expression matches the encoded properties; of the unparsable ones only the third
    // matches (through `c IS NULL`, before reaching `-a < ...`)
    assert_eq!(hits, rounds * 4);
    let evals = (rounds * exprs.len() * 2) as f64;
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "{:.0} ns per evaluation ({build} build)",
        elapsed.as_nanos() as f64 / evals
    );
}

#[test]
fn deepest_accepted_expressions_fit_a_small_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(|| {
            let parens = format!("{}a = 1{}", "(".repeat(32), ")".repeat(32));
            let nots = format!("{}(a = 1)", "NOT ".repeat(31));
            let chain = format!("a{}", " IS NULL".repeat(120));
            let mut results = Vec::new();
            for src in [&parens, &nots, &chain] {
                let e = Expression::compile(src).unwrap();
                results.push(e.evaluate(&[("a", "1")][..]));
            }
            results
        })
        .unwrap();
    let results = handle.join().unwrap();
    assert_eq!(
        results,
        vec![Ok(Some(true)), Ok(Some(false)), Ok(Some(false))]
    );
}
