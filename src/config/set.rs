//! `--set` and `--set-string`, with Helm's syntax and typing.
//!
//! `a.b=c,d[0].e=f` sets nested keys and list items; `x={a,b}` sets a list; a
//! backslash escapes `,`, `.`, `=` and `[`. With `--set`, `true`/`false` become
//! booleans, `null` deletes the key, and integers without a leading zero become
//! integers, as in Helm's `strvals` package; `--set-string` keeps every value a string.

use super::yaml::{Entry, Node, Pos, Value};

/// The highest list index `--set` accepts, so `a[99999999]=x` cannot exhaust memory.
const MAX_INDEX: usize = 10_000;
/// The most list items `--set` may create: by one key, all its indexes together
/// (each index is capped, and `a[10000][10000]...` must not multiply them: 35 KB
/// of argument made 2.3 GB), and by every `--set` and `--set-string` of one run
/// together (`a[10000]=1,b[10000]=1,...` must not add them up either).
pub const MAX_CREATED_ITEMS: usize = 100_000;
/// The deepest key `--set` accepts, as the values reader nests at most this deep.
const MAX_SEGMENTS: usize = 128;

#[derive(Debug, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// The keys an expression sets, without their values (which may be secrets), for
/// naming the flag in messages: `config.telemetry.metrics,commonEnv[0].name`.
pub fn keys_of(expr: &str) -> String {
    split_unescaped(expr, ',')
        .into_iter()
        .map(|part| split_once_unescaped(&part, '=').0)
        .collect::<Vec<_>>()
        .join(",")
}

/// Applies one `--set` (typed) or `--set-string` expression to `root`, a mapping.
/// Errors say what is wrong without quoting any value.
pub fn apply(root: &mut Node, expr: &str, typed: bool, source: usize) -> Result<(), String> {
    apply_counted(root, expr, typed, source, &mut 0)
}

/// [`apply`], counting into `created` the list items the expression's indexes may
/// create, so that several expressions share one budget of [`MAX_CREATED_ITEMS`].
pub fn apply_counted(
    root: &mut Node,
    expr: &str,
    typed: bool,
    source: usize,
    created: &mut usize,
) -> Result<(), String> {
    for assignment in split_unescaped(expr, ',') {
        let (key, value) = split_once_unescaped(&assignment, '=');
        let Some(value) = value else {
            // Without `=` the text may be `key:secret`: name only its key part.
            let shown: String = key
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "._-[]".contains(*c))
                .collect();
            let cut = if shown.len() < key.len() { "…" } else { "" };
            return Err(format!("`{shown}{cut}` has no `=VALUE`"));
        };
        let path = parse_key(&key)?;
        *created = created.saturating_add(created_by(&path));
        if *created > MAX_CREATED_ITEMS {
            return Err(format!(
                "`--set` and `--set-string` together would create more than {MAX_CREATED_ITEMS} list items (at `{}…`)",
                key.chars().take(40).collect::<String>()
            ));
        }
        if value.starts_with('{') && !value.ends_with('}') {
            // Helm's strvals refuses it too: "list must terminate with '}'".
            return Err(format!(
                "`{key}` starts a list with `{{` that no `}}` closes"
            ));
        }
        let pos = Pos::flag(source);
        let node = Node {
            value: parse_value(&value, typed, pos),
            pos,
        };
        set_path(root, &path, node, pos);
    }
    Ok(())
}

/// Splits on `sep` where it is not escaped and not inside `{...}`; keeps escapes.
fn split_unescaped(text: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0usize;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        let current = parts.last_mut().expect("never empty");
        match c {
            '\\' => {
                current.push(c);
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            '{' => {
                depth += 1;
                current.push(c);
            }
            '}' => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            c if c == sep && depth == 0 => parts.push(String::new()),
            c => current.push(c),
        }
    }
    parts
}

/// Splits at the first unescaped `sep`; the key part loses nothing.
fn split_once_unescaped(text: &str, sep: char) -> (String, Option<String>) {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            return (text[..i].to_string(), Some(text[i + 1..].to_string()));
        }
    }
    (text.to_string(), None)
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn parse_key(key: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut chars = key.chars().peekable();
    let finish = |current: &mut String, segments: &mut Vec<Segment>| -> Result<(), String> {
        if current.is_empty() {
            return Err(format!("`{key}` has an empty key segment"));
        }
        segments.push(Segment::Key(std::mem::take(current)));
        Ok(())
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => current.push(next),
                None => return Err(format!("`{key}` ends with a lone backslash")),
            },
            '.' => {
                if !current.is_empty() {
                    finish(&mut current, &mut segments)?;
                } else if !matches!(segments.last(), Some(Segment::Index(_))) {
                    return Err(format!("`{key}` has an empty key segment"));
                }
            }
            '[' => {
                if !current.is_empty() {
                    finish(&mut current, &mut segments)?;
                } else if segments.is_empty() {
                    return Err(format!("`{key}` starts with a list index"));
                }
                let mut digits = String::new();
                loop {
                    match chars.next() {
                        Some(']') => break,
                        Some(d) => digits.push(d),
                        None => return Err(format!("`{key}` has an unclosed `[`")),
                    }
                }
                let index: usize = digits
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{key}` has a list index that is not a number"))?;
                if index > MAX_INDEX {
                    return Err(format!(
                        "`{key}` has list index {index}, above the limit of {MAX_INDEX}"
                    ));
                }
                segments.push(Segment::Index(index));
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        segments.push(Segment::Key(current));
    } else if segments.is_empty() || key.ends_with('.') {
        return Err(format!("`{key}` has an empty key segment"));
    }
    if segments.len() > MAX_SEGMENTS {
        return Err(format!(
            "`{}…` nests deeper than {MAX_SEGMENTS} levels",
            key.chars().take(40).collect::<String>()
        ));
    }
    let created = created_by(&segments);
    if created > MAX_CREATED_ITEMS {
        return Err(format!(
            "`{}…` would create {created} list items, above the limit of {MAX_CREATED_ITEMS}",
            key.chars().take(40).collect::<String>()
        ));
    }
    Ok(segments)
}

/// The most list items a key's indexes can create: each index `i` up to `i + 1`.
fn created_by(path: &[Segment]) -> usize {
    path.iter()
        .map(|s| match s {
            Segment::Index(i) => i + 1,
            Segment::Key(_) => 0,
        })
        .sum()
}

fn parse_value(raw: &str, typed: bool, pos: Pos) -> Value {
    if raw.len() >= 2 && raw.starts_with('{') && raw.ends_with('}') {
        let inner = &raw[1..raw.len() - 1];
        let items = if inner.is_empty() {
            Vec::new()
        } else {
            split_unescaped(inner, ',')
                .iter()
                .map(|item| Node {
                    value: scalar(&unescape(item), typed),
                    pos,
                })
                .collect()
        };
        return Value::Seq(items);
    }
    scalar(&unescape(raw), typed)
}

/// Helm's `typedVal`: booleans and null in any case, `0`, and what Go's
/// `ParseInt(s, 10, 64)` reads from a text that does not start with `0` (so `-05` and
/// `+5` are integers, `007` is not); all else is a string.
fn scalar(text: &str, typed: bool) -> Value {
    if !typed {
        return Value::Str(text.to_string());
    }
    if text.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if text.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if text == "0" {
        return Value::Int(0);
    }
    if !text.is_empty() && !text.starts_with('0') {
        // Rust's i64 parser reads what Go's base-10 ParseInt reads: an optional sign,
        // then ASCII digits, in range.
        if let Ok(n) = text.parse::<i64>() {
            return Value::Int(n);
        }
    }
    Value::Str(text.to_string())
}

fn set_path(node: &mut Node, path: &[Segment], leaf: Node, pos: Pos) {
    let Some((first, rest)) = path.split_first() else {
        *node = leaf;
        return;
    };
    match first {
        Segment::Key(name) => {
            if !matches!(node.value, Value::Map(_)) {
                *node = Node {
                    value: Value::Map(Vec::new()),
                    pos,
                };
            }
            let Value::Map(entries) = &mut node.value else {
                unreachable!("made a mapping above")
            };
            let index = match entries.iter().position(|e| &e.key == name) {
                Some(i) => i,
                None => {
                    entries.push(Entry {
                        key: name.clone(),
                        key_pos: pos,
                        node: Node {
                            value: Value::Null,
                            pos,
                        },
                    });
                    entries.len() - 1
                }
            };
            if rest.is_empty() {
                entries[index].key_pos = pos;
            }
            set_path(&mut entries[index].node, rest, leaf, pos)
        }
        Segment::Index(i) => {
            if !matches!(node.value, Value::Seq(_)) {
                *node = Node {
                    value: Value::Seq(Vec::new()),
                    pos,
                };
            }
            let Value::Seq(items) = &mut node.value else {
                unreachable!("made a list above")
            };
            while items.len() <= *i {
                items.push(Node {
                    value: Value::Null,
                    pos,
                });
            }
            set_path(&mut items[*i], rest, leaf, pos)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> Node {
        Node {
            value: Value::Map(Vec::new()),
            pos: Pos::flag(0),
        }
    }

    fn get<'a>(node: &'a Node, path: &[&str]) -> &'a Value {
        let mut node = node;
        for key in path {
            node = match (&node.value, key.parse::<usize>()) {
                (Value::Seq(items), Ok(i)) => &items[i],
                _ => &node.entry(key).expect(key).node,
            };
        }
        &node.value
    }

    #[test]
    fn typed_values_follow_helm() {
        let mut root = empty();
        apply(
            &mut root,
            "a.b=true,c=FALSE,d=42,e=007,f=null,g=1.5,h=,i=-0,j=+5,k=-05",
            true,
            0,
        )
        .unwrap();
        assert_eq!(get(&root, &["a", "b"]), &Value::Bool(true));
        assert_eq!(get(&root, &["c"]), &Value::Bool(false));
        assert_eq!(get(&root, &["d"]), &Value::Int(42));
        assert_eq!(get(&root, &["e"]), &Value::Str("007".into()));
        assert_eq!(get(&root, &["f"]), &Value::Null);
        assert_eq!(get(&root, &["g"]), &Value::Str("1.5".into()));
        assert_eq!(get(&root, &["h"]), &Value::Str(String::new()));
        assert_eq!(get(&root, &["i"]), &Value::Int(0));
        assert_eq!(get(&root, &["j"]), &Value::Int(5));
        assert_eq!(get(&root, &["k"]), &Value::Int(-5));
    }

    #[test]
    fn set_string_keeps_strings() {
        let mut root = empty();
        apply(&mut root, "a=true,b=1", false, 0).unwrap();
        assert_eq!(get(&root, &["a"]), &Value::Str("true".into()));
        assert_eq!(get(&root, &["b"]), &Value::Str("1".into()));
    }

    #[test]
    fn lists_indexes_and_escapes() {
        let mut root = empty();
        apply(
            &mut root,
            r"env[1].name=X,env[1].value=a\,b,list={x,y},dotted\.key=1",
            true,
            0,
        )
        .unwrap();
        assert_eq!(get(&root, &["env", "0"]), &Value::Null);
        assert_eq!(get(&root, &["env", "1", "name"]), &Value::Str("X".into()));
        assert_eq!(
            get(&root, &["env", "1", "value"]),
            &Value::Str("a,b".into())
        );
        let Value::Seq(items) = get(&root, &["list"]) else {
            panic!("list")
        };
        assert_eq!(items.len(), 2);
        assert_eq!(get(&root, &["dotted.key"]), &Value::Int(1));
    }

    #[test]
    fn bad_expressions_are_refused_without_quoting_values() {
        for (expr, needle) in [
            ("novalue", "no `=VALUE`"),
            ("a..b=secret", "empty key segment"),
            ("a[x]=secret", "not a number"),
            ("a[99999999]=secret", "above the limit"),
            ("a[1=secret", "unclosed"),
            (
                "a[10000][10000][10000][10000][10000][10000][10000][10000][10000][10000][10000]=secret",
                "would create 110011 list items",
            ),
            ("key:secret", "`key…` has no `=VALUE`"),
            ("=secret", "empty key segment"),
            ("a={secret,b", "no `}` closes"),
        ] {
            let err = apply(&mut empty(), expr, true, 0).unwrap_err();
            assert!(err.contains(needle), "{expr}: {err}");
            assert!(!err.contains("secret"), "{expr}: {err}");
        }
    }

    #[test]
    fn list_items_are_budgeted_across_keys_and_expressions() {
        let ten = |from: usize| {
            (from..from + 5)
                .map(|i| format!("k{i}[9999]=secret"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut root = empty();
        let mut created = 0;
        apply_counted(&mut root, &ten(0), true, 0, &mut created).unwrap();
        apply_counted(&mut root, &ten(5), false, 1, &mut created).unwrap();
        assert_eq!(created, 100_000);
        let err = apply_counted(&mut root, "x[0]=secret", true, 2, &mut created).unwrap_err();
        assert!(err.contains("more than 100000 list items"), "{err}");
        assert!(!err.contains("secret"), "{err}");
        // One expression alone is capped the same way.
        let err = apply(
            &mut empty(),
            &format!("{},{}", ten(0), ten(5) + ",y[0]=1"),
            true,
            0,
        )
        .unwrap_err();
        assert!(err.contains("more than 100000 list items"), "{err}");
    }

    #[test]
    fn keys_of_drops_values() {
        assert_eq!(
            keys_of("config.langsmithLicenseKey=abc,b=c"),
            "config.langsmithLicenseKey,b"
        );
    }
}
