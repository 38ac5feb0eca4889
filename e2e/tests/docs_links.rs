//! The README and the docs are part of the product: every relative link in them must lead to
//! a file or folder that exists, every `#section` link to a heading that exists, every
//! `path` + `function` pair they name beside a link to a function that is really in that
//! file, and every page under `docs/` must be reachable from the README. A renamed file,
//! function or heading, or a section moved to another page, fails here, not in a reader's
//! browser.

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

/// In the README and the docs, "[`file.rs`](path/to/file.rs) `name`" says: function `name`
/// is in that file.
#[test]
fn every_function_the_readme_and_docs_name_beside_a_file_is_in_that_file() {
    let mut missing = Vec::new();
    let mut checked = 0;
    for document in documents() {
        let text = std::fs::read_to_string(&document).expect("the document is readable");
        let base = document.parent().expect("a document has a folder");
        check_named_functions(&text, base, &mut checked, &mut missing);
    }
    assert!(
        checked > 20,
        "the README and docs name functions ({checked} found)"
    );
    assert!(
        missing.is_empty(),
        "named but not found:\n{}",
        missing.join("\n")
    );
}

/// Checks each "[`file.rs`](path) `name`" of `markdown`, whose links are relative to `base`.
fn check_named_functions(
    markdown: &str,
    base: &Path,
    checked: &mut usize,
    missing: &mut Vec<String>,
) {
    for piece in markdown.split("](").skip(1) {
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
        let source = std::fs::read_to_string(base.join(target)).unwrap_or_default();
        for name in names.iter().filter(|name| is_identifier(name)) {
            *checked += 1;
            let defined = [
                "fn ", "struct ", "enum ", "trait ", "type ", "mod ", "const ",
            ]
            .iter()
            .any(|kind| source.contains(&format!("{kind}{name}")));
            if !defined {
                missing.push(format!("{}: {target}: {name}", base.display()));
            }
        }
    }
}

/// `#section` links, in the page or in another (`redis.md#…`), land on a heading: the
/// anchors GitHub makes from headings (lower case, punctuation dropped, spaces to `-`).
#[test]
fn every_section_link_in_the_readme_and_docs_names_a_heading_that_exists() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for document in documents() {
        let text = std::fs::read_to_string(&document).expect("the document is readable");
        let base = document.parent().expect("a document has a folder");
        for target in link_targets(&text) {
            let Some((file, anchor)) = target.split_once('#') else {
                continue;
            };
            if !is_relative(&target) && !target.starts_with('#') {
                continue;
            }
            let page = if file.is_empty() {
                document.clone()
            } else {
                base.join(file)
            };
            if page.extension().is_none_or(|extension| extension != "md") {
                continue;
            }
            checked += 1;
            let headings = std::fs::read_to_string(&page)
                .map(|markdown| heading_anchors(&markdown))
                .unwrap_or_default();
            if !headings.iter().any(|heading| heading == anchor) {
                broken.push(format!("{}: {target}", document.display()));
            }
        }
    }
    assert!(checked > 3, "section links found: {checked}");
    assert!(
        broken.is_empty(),
        "section links to no heading:\n{}",
        broken.join("\n")
    );
}

/// Every page in `docs/` is linked from the README, so moving a section out of the README
/// never hides it.
#[test]
fn every_page_in_docs_is_linked_from_the_readme() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let linked: Vec<String> = link_targets(&readme)
        .into_iter()
        .map(|target| target.split('#').next().unwrap_or_default().to_owned())
        .collect();
    let orphans: Vec<String> = documents()
        .iter()
        .filter_map(|page| page.strip_prefix(root()).ok())
        .map(|page| page.to_string_lossy().into_owned())
        .filter(|page| page != "README.md" && !linked.contains(page))
        .collect();
    assert!(
        orphans.is_empty(),
        "pages the README does not link: {orphans:?}"
    );
}

/// The anchors of `markdown`'s headings (outside code blocks), as GitHub makes them.
fn heading_anchors(markdown: &str) -> Vec<String> {
    let mut anchors = Vec::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if in_code || !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let anchor: String = line[hashes..]
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        anchors.push(anchor);
    }
    anchors
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
