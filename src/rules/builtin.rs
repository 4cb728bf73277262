//! The bundled rule packs, compiled into the binary so that `scan` and
//! `demo` work with no files around; `rules init DIR` writes them out.

/// Shown as the directory of built-in packs in messages.
pub const PREFIX: &str = "<built-in>";

/// Every file of `rules/`: packs and their keyword files.
pub const FILES: &[(&str, &str)] = &[
    ("gambling.toml", include_str!("../../rules/gambling.toml")),
    ("gambling.txt", include_str!("../../rules/gambling.txt")),
    (
        "gambling-brands.txt",
        include_str!("../../rules/gambling-brands.txt"),
    ),
    ("porn.toml", include_str!("../../rules/porn.toml")),
    ("porn.txt", include_str!("../../rules/porn.txt")),
    (
        "porn-brands.txt",
        include_str!("../../rules/porn-brands.txt"),
    ),
    ("fraud.toml", include_str!("../../rules/fraud.toml")),
    ("fraud.txt", include_str!("../../rules/fraud.txt")),
    ("malicious.toml", include_str!("../../rules/malicious.toml")),
    ("pii.toml", include_str!("../../rules/pii.toml")),
    ("hygiene.toml", include_str!("../../rules/hygiene.toml")),
];
