//! Golden files: the whole synth output of every fixture config, committed under
//! `tests/golden/<fixture>/`, compared byte for byte. After an intended change, regenerate
//! with `HUBCTL_BLESS=1 cargo test --test it golden` and review the diff.

use crate::support::{files_under, fixtures, root, synth};

#[test]
fn synth_output_matches_the_golden_files() {
    let bless = std::env::var_os("HUBCTL_BLESS").is_some();
    let mut mismatches = Vec::new();
    for (name, config) in fixtures() {
        let (_dir, out) = synth(&config);
        let golden = root().join("tests/golden").join(&name);
        if bless {
            let _ = std::fs::remove_dir_all(&golden);
            for file in files_under(&out) {
                let target = golden.join(&file);
                std::fs::create_dir_all(target.parent().expect("has a parent"))
                    .expect("create golden dir");
                std::fs::copy(out.join(&file), target).expect("copy golden file");
            }
            continue;
        }
        let produced = files_under(&out);
        let expected = files_under(&golden);
        if produced != expected {
            mismatches.push(format!(
                "{name}: files differ\n  produced: {produced:?}\n  golden:   {expected:?}"
            ));
            continue;
        }
        for file in produced {
            let new = std::fs::read_to_string(out.join(&file)).expect("read output");
            let old = std::fs::read_to_string(golden.join(&file)).expect("read golden");
            if new != old {
                let line = new
                    .lines()
                    .zip(old.lines())
                    .position(|(a, b)| a != b)
                    .map_or(0, |i| i + 1);
                mismatches.push(format!(
                    "{name}/{file}: differs from the golden file near line {line}"
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{}\nif the change is intended: HUBCTL_BLESS=1 cargo test --test it golden, then review git diff tests/golden",
        mismatches.join("\n")
    );
}

#[test]
fn golden_files_cover_every_stack_of_the_example() {
    let files = files_under(&root().join("tests/golden/example"));
    for expected in [
        "dev/manifest.json",
        "dev/jhub-dev-frame.template.json",
        "dev/jhub-dev-dns.template.json",
        "prod/manifest.json",
        "parent/jhub-delegation-role.template.json",
    ] {
        assert!(
            files.iter().any(|f| f == expected),
            "{expected} missing from {files:?}"
        );
    }
}
