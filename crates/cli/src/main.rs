//! The `clrscope` binary: see the library crate for everything it does.

fn main() {
    let code =
        clrscope::run(std::env::args_os(), &mut std::io::stdout().lock(), &mut std::io::stderr().lock());
    std::process::exit(code);
}
