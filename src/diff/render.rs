//! A [`Report`] for people: text for a terminal (colour only when asked), markdown for a
//! pull-request comment. Risks first, then access, then tags on one line, then every stack.
//! JSON is the report itself (`serde`).

use similar::{ChangeTag, TextDiff};

use super::security::{Rule, Statement};
use super::tree::{self, Change};
use super::{Impact, Report, ResourceDiff, StackDiff, Summary};

/// GitHub refuses a comment longer than this many characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Heading,
    Danger,
    Add,
    Remove,
    Change,
}

struct Lines(Vec<(Style, String)>);

impl Lines {
    fn push(&mut self, style: Style, text: impl Into<String>) {
        self.0.push((style, text.into()));
    }

    fn text(&self, colour: bool) -> String {
        let mut out = String::new();
        for (style, line) in &self.0 {
            let code = match style {
                Style::Plain => "",
                Style::Heading => "1",
                Style::Danger => "1;31",
                Style::Add => "32",
                Style::Remove => "31",
                Style::Change => "33",
            };
            if colour && !code.is_empty() {
                out.push_str(&format!("\x1b[{code}m{line}\x1b[0m\n"));
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

/// The report as text; `colour` adds ANSI colours (a terminal without `NO_COLOR`).
pub fn text(report: &Report, colour: bool) -> String {
    let mut lines = Lines(Vec::new());
    lines.push(
        Style::Heading,
        format!(
            "hubctl diff against {}: {}",
            report.against,
            headline(report)
        ),
    );
    for note in &report.notes {
        lines.push(Style::Plain, format!("note: {note}"));
    }
    if !report.differs {
        return lines.text(colour);
    }
    overview(report, &mut lines);
    details(report, &mut lines);
    lines.text(colour)
}

fn headline(report: &Report) -> String {
    if report.differs {
        let mut line = report.summary.line();
        if !report.tags.is_empty() {
            line.push_str(", tags change");
        }
        line
    } else {
        "no changes".to_string()
    }
}

/// Risks, access and tags: what a reviewer must see first.
fn overview(report: &Report, lines: &mut Lines) {
    if !report.risks.is_empty() {
        lines.push(Style::Plain, "");
        lines.push(
            Style::Danger,
            "RISKS: data at stake, or an update AWS refuses",
        );
        for risk in &report.risks {
            lines.push(
                Style::Danger,
                format!("  ! {}: {} {}", risk.env, risk.stack, risk.message),
            );
        }
    }
    if !report.iam.is_empty() || !report.security_groups.is_empty() || !report.exposure.is_empty() {
        lines.push(Style::Plain, "");
        let title = if report.broadened {
            "SECURITY: access broadened"
        } else {
            "SECURITY"
        };
        lines.push(
            if report.broadened {
                Style::Danger
            } else {
                Style::Heading
            },
            title,
        );
        let mut last = None;
        for change in &report.iam {
            let place = format!(
                "  IAM {} {} {} {}",
                change.env, change.stack, change.item.resource, change.item.policy
            );
            if last.as_ref() != Some(&place) {
                lines.push(Style::Plain, place.clone());
                last = Some(place);
            }
            let (style, mark) = marker(change.item.change);
            let flag = if change.item.broadens {
                "  (broadens)"
            } else {
                ""
            };
            lines.push(
                style,
                format!("    {mark} {}{flag}", statement(&change.item.statement)),
            );
        }
        let mut last = None;
        for change in &report.security_groups {
            let place = format!("  SG  {} {}", change.env, change.stack);
            if last.as_ref() != Some(&place) {
                lines.push(Style::Plain, place.clone());
                last = Some(place);
            }
            let rule = &change.item.rule;
            let (style, mark) = marker(change.item.change);
            let flag = if change.item.broadens {
                "  (broadens)"
            } else {
                ""
            };
            lines.push(
                style,
                format!("    {mark} {} {}{flag}", rule.group, rule_text(rule)),
            );
        }
        for found in &report.exposure {
            let f = &found.item;
            lines.push(
                Style::Add,
                format!(
                    "  EXPOSURE {} {} {} {}: {} → {}: {}  (broadens)",
                    found.env, found.stack, f.logical_id, f.path, f.before, f.after, f.what
                ),
            );
        }
    }
    if !report.tags.is_empty() {
        lines.push(Style::Plain, "");
        lines.push(
            Style::Heading,
            "TAGS (resources whose only change is tags are not listed below)",
        );
        for tag in &report.tags {
            let value = |v: &Option<String>| {
                v.as_ref()
                    .map_or("(none)".to_string(), |v| format!("{v:?}"))
            };
            lines.push(
                Style::Change,
                format!(
                    "  ~ {}: {} → {} on {} resource(s) and {} stack(s){}",
                    tag.key,
                    value(&tag.before),
                    value(&tag.after),
                    tag.resources,
                    tag.stacks,
                    if tag.stacks > 0 {
                        " (a stack tag: CloudFormation re-tags every taggable resource of the stack)"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
}

fn marker(change: &str) -> (Style, &'static str) {
    if change == "added" {
        (Style::Add, "+")
    } else {
        (Style::Remove, "-")
    }
}

/// `ingress tcp 443 from 0.0.0.0/0 (everyone)`.
fn rule_text(rule: &Rule) -> String {
    let way = if rule.direction == "ingress" {
        "from"
    } else {
        "to"
    };
    let everyone = match (rule.ec2_default, rule.everyone) {
        (true, _) => " (everyone: EC2's default rule)",
        (false, true) => " (everyone)",
        (false, false) => "",
    };
    format!(
        "{} {} {} {way} {}{everyone}",
        rule.direction, rule.protocol, rule.ports, rule.peer
    )
}

fn statement(s: &Statement) -> String {
    let mut text = format!("{} {}", s.effect, s.actions.join(", "));
    if !s.resources.is_empty() {
        text.push_str(&format!(" on {}", s.resources.join(", ")));
    }
    if !s.principal.is_empty() {
        text.push_str(&format!(" for {}", s.principal));
    }
    if !s.condition.is_empty() {
        text.push_str(&format!(" when {}", s.condition));
    }
    text
}

/// Every environment and stack that changes.
fn details(report: &Report, lines: &mut Lines) {
    for env in &report.environments {
        lines.push(Style::Plain, "");
        lines.push(Style::Heading, format!("environment {}", env.env));
        if !env.manifest.is_empty() {
            lines.push(Style::Plain, "  manifest.json");
            for change in &env.manifest {
                show_change(change, "    ", lines);
            }
        }
        if !env.kubernetes.is_empty() {
            lines.push(
                Style::Plain,
                "  in the cluster (Helm values and k8s/ manifests deploy applies)",
            );
            for change in &env.kubernetes {
                show_change(change, "    ", lines);
            }
        }
        for stack in &env.stacks {
            stack_details(stack, lines);
        }
    }
}

fn counts(stack: &StackDiff) -> Summary {
    let mut summary = Summary::default();
    for resource in &stack.resources {
        summary.count(resource);
    }
    summary.tag_only = stack.tag_only.len();
    summary
}

fn stack_details(stack: &StackDiff, lines: &mut Lines) {
    let action = match stack.action {
        "add" => " (new stack)",
        "remove" => " (no longer in the config: deploy leaves it; it goes only when deleted, e.g. by destroy)",
        _ => "",
    };
    lines.push(
        Style::Heading,
        format!(
            "  {} [{}]{action}: {}",
            stack.name,
            stack.id,
            counts(stack).line()
        ),
    );
    for resource in &stack.resources {
        resource_details(resource, lines);
    }
    for (title, changes) in [
        ("Parameters", &stack.parameters),
        ("Parameter values", &stack.parameter_values),
        ("Outputs", &stack.outputs),
        ("Conditions", &stack.conditions),
        ("Template", &stack.template),
    ] {
        if changes.is_empty() {
            continue;
        }
        lines.push(Style::Plain, format!("    {title}"));
        for change in changes {
            show_change(change, "      ", lines);
        }
    }
}

fn resource_details(resource: &ResourceDiff, lines: &mut Lines) {
    let (style, mark) = match resource.impact {
        Impact::Add => (Style::Add, "+"),
        Impact::Remove => (Style::Remove, "-"),
        Impact::Orphaned => (Style::Plain, "="),
        Impact::Replace => (Style::Danger, "-/+"),
        Impact::MayReplace => (Style::Danger, "~/+"),
        Impact::Update | Impact::None => (Style::Change, "~"),
    };
    let fate = super::fate(resource);
    let kept = if fate.is_empty() {
        String::new()
    } else {
        format!(" ({fate})")
    };
    lines.push(
        style,
        format!(
            "    {mark} {} {}: {}{kept}",
            resource.logical_id,
            resource.kind,
            resource.impact.label()
        ),
    );
    for reason in &resource.because {
        lines.push(Style::Plain, format!("        because {reason}"));
    }
    for reason in &resource.fails {
        lines.push(Style::Danger, format!("        FAILS on AWS: {reason}"));
    }
    for change in &resource.changes {
        show_change(change, "        ", lines);
    }
}

fn show_change(change: &Change, indent: &str, lines: &mut Lines) {
    let flag = if change.create_only {
        "  [create-only]"
    } else if change.may_replace {
        "  [may replace]"
    } else {
        ""
    };
    let multi = |v: &Option<serde_json::Value>| v.as_ref().and_then(tree::lines);
    let (before_lines, after_lines) = (multi(&change.before), multi(&change.after));
    if before_lines.is_some() || after_lines.is_some() {
        let (style, mark) = match (&change.before, &change.after) {
            (None, Some(_)) => (Style::Add, "+"),
            (Some(_), None) => (Style::Remove, "-"),
            _ => (Style::Change, "~"),
        };
        lines.push(style, format!("{indent}{mark} {}:{flag}", change.path));
        let to_text = |v: &Option<serde_json::Value>, multi: Option<String>| {
            multi.unwrap_or_else(|| v.as_ref().map_or(String::new(), tree::short))
        };
        let old = to_text(&change.before, before_lines);
        let new = to_text(&change.after, after_lines);
        line_diff(&old, &new, &format!("{indent}    "), lines);
        return;
    }
    let show =
        |v: &Option<serde_json::Value>| v.as_ref().map_or("(absent)".to_string(), tree::short);
    let (style, mark) = match (&change.before, &change.after) {
        (None, Some(_)) => (Style::Add, "+"),
        (Some(_), None) => (Style::Remove, "-"),
        _ => (Style::Change, "~"),
    };
    let text = match (&change.before, &change.after) {
        (None, Some(_)) => format!(
            "{indent}{mark} {}: {}{flag}",
            change.path,
            show(&change.after)
        ),
        (Some(_), None) => format!(
            "{indent}{mark} {}: {}{flag}",
            change.path,
            show(&change.before)
        ),
        _ => format!(
            "{indent}{mark} {}: {} → {}{flag}",
            change.path,
            show(&change.before),
            show(&change.after)
        ),
    };
    lines.push(style, text);
}

/// `old` against `new` line by line, three lines of context, `…` between far-apart hunks.
fn line_diff(old: &str, new: &str, indent: &str, lines: &mut Lines) {
    let diff = TextDiff::from_lines(old, new);
    for (i, group) in diff.grouped_ops(3).iter().enumerate() {
        if i > 0 {
            lines.push(Style::Plain, format!("{indent}  …"));
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let (style, mark) = match change.tag() {
                    ChangeTag::Delete => (Style::Remove, "-"),
                    ChangeTag::Insert => (Style::Add, "+"),
                    ChangeTag::Equal => (Style::Plain, " "),
                };
                let value = change.value();
                let value = value.strip_suffix('\n').unwrap_or(value);
                lines.push(style, format!("{indent}{mark} {value}"));
            }
        }
    }
}

/// The report as a pull-request comment: the summary line, a banner per kind of risk, the
/// security changes, the full text folded in `<details>`; under `limit` characters (GitHub's
/// is [`GITHUB_COMMENT_LIMIT`]), cutting the folded text with a note when it must.
pub fn markdown(report: &Report, limit: usize) -> String {
    let mut head = format!("### hubctl diff: {}\n\n", headline(report));
    head.push_str(&format!("Against `{}`.\n", report.against));
    for note in &report.notes {
        head.push_str(&format!("\nNote: {}\n", escape(note)));
    }
    if !report.differs {
        return head;
    }
    let risks: Vec<String> = report
        .risks
        .iter()
        .map(|risk| {
            format!(
                "> - `{}` {}\n",
                risk.env,
                escape(&format!("{} {}", risk.stack, risk.message))
            )
        })
        .collect();
    let mut banner = String::new();
    if report.broadened {
        let statements = report.iam.iter().filter(|c| c.item.broadens).count();
        let rules = report
            .security_groups
            .iter()
            .filter(|c| c.item.broadens)
            .count();
        let exposure = report.exposure.len();
        banner.push_str(&format!(
            "\n> [!WARNING]\n> **Access broadened:** {statements} IAM statement(s), {rules} security-group rule(s) and {exposure} other setting(s) widen what is allowed.\n"
        ));
    }
    let mut rows: Vec<String> = Vec::new();
    for change in &report.iam {
        let c = &change.item;
        rows.push(format!(
            "| {} | `{}` {} `{}` {} | {} IAM: {} |\n",
            if c.broadens { "⚠️" } else { "" },
            change.env,
            change.stack,
            c.resource,
            escape(&c.policy),
            if c.change == "added" { "+" } else { "−" },
            escape(&statement(&c.statement)),
        ));
    }
    for change in &report.security_groups {
        let c = &change.item;
        let r = &c.rule;
        rows.push(format!(
            "| {} | `{}` {} `{}` | {} SG: {} |\n",
            if c.broadens { "⚠️" } else { "" },
            change.env,
            change.stack,
            r.group,
            if c.change == "added" { "+" } else { "−" },
            escape(&rule_text(r)),
        ));
    }
    for found in &report.exposure {
        let f = &found.item;
        rows.push(format!(
            "| ⚠️ | `{}` {} `{}` | {}: {} → {}: {} |\n",
            found.env,
            found.stack,
            f.logical_id,
            escape(&f.path),
            escape(&f.before),
            escape(&f.after),
            escape(&f.what),
        ));
    }
    let mut tail = String::new();
    if !report.tags.is_empty() {
        tail.push_str(&format!(
            "\nTags: {}.\n",
            report
                .tags
                .iter()
                .map(|t| format!(
                    "`{}` {} → {} on {} resource(s)",
                    t.key,
                    t.before.as_deref().unwrap_or("(none)"),
                    t.after.as_deref().unwrap_or("(none)"),
                    t.resources
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    // The summary, banners and tables first, each list capped when the whole would not
    // leave room for the folded text; sizes in characters, as GitHub counts them.
    let assemble = |most: usize| {
        let mut text = head.clone();
        let capped = |lines: &[String], more: &str| {
            let mut out: String = lines.iter().take(most).cloned().collect();
            if lines.len() > most {
                out.push_str(&format!(
                    "{more}… {} more: run `hubctl diff` for all of them\n",
                    lines.len() - most
                ));
            }
            out
        };
        if !risks.is_empty() {
            text.push_str("\n> [!CAUTION]\n> **Data at stake, or an update AWS refuses:**\n");
            text.push_str(&capped(&risks, "> - "));
        }
        text.push_str(&banner);
        if !rows.is_empty() {
            text.push_str("\n| | Where | Change |\n|---|---|---|\n");
            text.push_str(&capped(&rows, "| | | "));
        }
        text.push_str(&tail);
        text
    };
    let mut top = assemble(usize::MAX);
    if top.chars().count() > limit / 2 {
        top = assemble(20);
    }
    let mut lines = Lines(Vec::new());
    details(report, &mut lines);
    // A fence inside the text would close the block early.
    let body = lines.text(false).replace("```", "ˋˋˋ");
    let open = "\n<details><summary>Full diff</summary>\n\n```diff\n";
    let close = "```\n\n</details>\n";
    let size = |text: &str| text.chars().count();
    let room = limit.saturating_sub(size(&top) + size(open) + size(close) + 300);
    let body = if size(&body) <= room {
        body
    } else {
        let mut cut = String::new();
        let (mut kept, mut used) = (0, 0);
        for line in body.lines() {
            let length = size(line) + 1;
            if used + length > room {
                break;
            }
            cut.push_str(line);
            cut.push('\n');
            used += length;
            kept += 1;
        }
        cut.push_str(&format!(
            "… cut here: {} more line(s) ({} characters) do not fit in a GitHub comment ({} characters at most); run `hubctl diff` for all of it\n",
            body.lines().count() - kept,
            size(&body) - used,
            GITHUB_COMMENT_LIMIT
        ));
        cut
    };
    format!("{top}{open}{body}{close}")
}

/// Markdown table cells and inline text: pipes and backticks escaped.
fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('`', "\\`")
}
