//! `cargo run --example csv-to-xlsx -- OUT.xlsx NAME=FILE.csv…`: writes the
//! CSV files as the sheets of one workbook, each cell typed as Excel would
//! type it in (dates as dates, numbers as numbers). Used by
//! `scripts/sample-formats.sh` for `tests/data/sample/xlsx/sample.xlsx`.

#[path = "../tests/common/xlsx.rs"]
mod xlsx;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out, sheets)) = args.split_first() else {
        eprintln!("usage: csv-to-xlsx OUT.xlsx NAME=FILE.csv…");
        std::process::exit(2);
    };
    let mut read = Vec::new();
    for s in sheets {
        let Some((name, path)) = s.split_once('=') else {
            eprintln!("expected NAME=FILE.csv, got `{s}`");
            std::process::exit(2);
        };
        match std::fs::read(path) {
            Ok(bytes) => read.push((name.to_string(), bytes)),
            Err(e) => {
                eprintln!("cannot read `{path}`: {e}");
                std::process::exit(2);
            }
        }
    }
    let sheets: Vec<(&str, &[u8])> = read.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    match xlsx::workbook(&sheets).map(|bytes| std::fs::write(out, bytes)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            eprintln!("cannot write `{out}`: {e}");
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("cannot make the workbook: {e}");
            std::process::exit(2);
        }
    }
}
