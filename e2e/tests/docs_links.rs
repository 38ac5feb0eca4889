//! The README and the docs are part of the product: every relative link in them must lead to
//! a file or folder that exists, and every `path` + `function` pair the README names beside a
//! link must name a function that is really in that file. A renamed file or function fails
//! here, not in a reader's browser.

use std::path::{Path, PathBuf};

/// The workspace root (this crate lives in `e2e/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("e2e/ sits inside the workspace")
        .to_path_buf()
}

/// The Markdown files readers follow links in.
fn documents() -> Vec<PathBuf> {
    let root = root();
    let mut documents = vec![root.join("README.md")];
    let docs = std::fs::read_dir(root.join("docs")).expect("docs/ exists");
    for entry in docs.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|extension| extension == "md") {
            documents.push(path);
        }
    }
    documents
}

/// Every `](target)` in `markdown`: the targets of links and images.
fn link_targets(markdown: &str) -> Vec<String> {
    markdown
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(target, _)| target.to_owned()))
        .collect()
}

/// A link that points inside the repository (not a web address, not a page anchor).
fn is_relative(target: &str) -> bool {
    !(target.starts_with("http://")
        || target.starts_with("https://")
        || target.starts_with("mailto:")
        || target.starts_with('#'))
}

#[test]
fn every_relative_link_in_the_readme_and_docs_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for document in documents() {
        let text = std::fs::read_to_string(&document).expect("the document is readable");
        let base = document.parent().expect("a document has a folder");
        for target in link_targets(&text).into_iter().filter(|t| is_relative(t)) {
            let path = target.split('#').next().unwrap_or_default();
            checked += 1;
            if !base.join(path).exists() {
                broken.push(format!("{}: {target}", document.display()));
            }
        }
    }
    assert!(
        checked > 50,
        "the README links its code ({checked} links found)"
    );
    assert!(
        broken.is_empty(),
        "links that lead nowhere:\n{}",
        broken.join("\n")
    );
}

/// In the README, "[`file.rs`](path/to/file.rs) `name`" says: function `name` is in that file.
#[test]
fn every_function_the_readme_names_beside_a_file_is_in_that_file() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let mut missing = Vec::new();
    let mut checked = 0;
    for piece in readme.split("](").skip(1) {
        let Some((target, after)) = piece.split_once(')') else {
            continue;
        };
        if !target.ends_with(".rs") {
            continue;
        }
        // The names right after the link: "`a`", "`a`, `b` and `c`", "`a` →".
        let mut names = Vec::new();
        let mut rest = after.trim_start();
        while let Some(quoted) = rest.strip_prefix('`') {
            let Some((name, tail)) = quoted.split_once('`') else {
                break;
            };
            names.push(name.to_owned());
            rest = tail
                .trim_start()
                .trim_start_matches(',')
                .trim_start()
                .trim_start_matches("and")
                .trim_start();
        }
        let source = std::fs::read_to_string(root().join(target)).unwrap_or_default();
        for name in names.iter().filter(|name| is_identifier(name)) {
            checked += 1;
            let defined = [
                "fn ", "struct ", "enum ", "trait ", "type ", "mod ", "const ",
            ]
            .iter()
            .any(|kind| source.contains(&format!("{kind}{name}")));
            if !defined {
                missing.push(format!("{target}: {name}"));
            }
        }
    }
    assert!(checked > 20, "the README names functions ({checked} found)");
    assert!(
        missing.is_empty(),
        "named but not found:\n{}",
        missing.join("\n")
    );
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
