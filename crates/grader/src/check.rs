//! What a submitted exercise may contain, checked on its syntax tree before
//! anything is built.
//!
//! An exercise region is plain computation: the statements of a function
//! body. The grader refuses a region that could reach outside it: process
//! exit or spawning, file, network or environment access, `unsafe`, `extern`,
//! modules, attributes (they could add tests or change how code compiles),
//! `macro_rules!`, the macros that read files or the environment at compile
//! time (`include!`, `include_str!`, `include_bytes!`, `env!`,
//! `option_env!`, `asm!`), and `impl` blocks for types declared outside the
//! region. Macro arguments are token streams that the parser does not see
//! inside, so their tokens are checked by the same rules.
//!
//! The region's text is parsed with `syn` as the statements of a block, so
//! it must also be balanced on its own: it cannot close the function it sits
//! in, or open a comment or string that swallows the code after it.

use std::collections::BTreeSet;

use proc_macro2::{Delimiter, Spacing, Span, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::visit::Visit;

/// Modules a region may not name in a path (`std::fs::…`, `use std::net`).
pub const MODULES: &[&str] = &[
    "process",
    "fs",
    "net",
    "env",
    "os",
    "ffi",
    "arch",
    "intrinsics",
];

/// Names a region may not use at all: process control, files, sockets, the
/// environment, memory reinterpretation.
pub const NAMES: &[&str] = &[
    "Command",
    "File",
    "OpenOptions",
    "DirBuilder",
    "TcpStream",
    "TcpListener",
    "UdpSocket",
    "UnixStream",
    "UnixListener",
    "UnixDatagram",
    "exit",
    "abort",
    "set_var",
    "remove_var",
    "var_os",
    "args_os",
    "set_current_dir",
    "transmute",
];

/// Crates of the workspace (and their dependencies) that write files, run
/// programs or touch the system: not reachable from a region.
pub const CRATES: &[&str] = &["labkit", "labtest", "grader", "libc", "nix", "tempfile"];

/// File input and output through libtorch and ndarray helpers (method or
/// function names).
pub const IO_CALLS: &[&str] = &[
    "save",
    "save_multi",
    "save_to_stream",
    "load_multi",
    "load_from_stream",
    "load_partial",
    "read_npy",
    "write_npy",
    "read_npz",
    "write_npz",
    "read_safetensors",
    "write_safetensors",
];

/// Macros that read files or the environment while compiling, or emit code
/// the checker cannot see.
pub const MACROS: &[&str] = &[
    "include",
    "include_str",
    "include_bytes",
    "env",
    "option_env",
    "asm",
    "global_asm",
    "naked_asm",
    "macro_rules",
    "concat_idents",
];

/// Keywords that never belong in an exercise.
const KEYWORDS: &[&str] = &["unsafe", "extern", "mod", "macro"];

/// One thing the checker refused: where (a line of the submitted file) and what.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    pub line: usize,
    pub what: String,
}

/// Checks the text of one region (the lines between its markers), whose
/// first line is line `first_line` of its file. Empty when it may be built.
pub fn check_region(text: &str, first_line: usize) -> Vec<Refusal> {
    let line_of = |span: Span| first_line + span.start().line.saturating_sub(1);
    let stmts = match syn::parse::Parser::parse_str(syn::Block::parse_within, text) {
        Ok(s) => s,
        Err(e) => {
            return vec![Refusal {
                line: line_of(e.span()),
                what: format!("does not parse as the statements of a function body: {e}"),
            }]
        }
    };
    let block = syn::Block {
        brace_token: Default::default(),
        stmts,
    };
    let mut local_types = LocalTypes::default();
    local_types.visit_block(&block);
    let mut v = Checker {
        local_types: local_types.0,
        found: Vec::new(),
    };
    v.visit_block(&block);
    let mut found: Vec<Refusal> = v
        .found
        .into_iter()
        .map(|(span, what)| Refusal {
            line: line_of(span),
            what,
        })
        .collect();
    found.sort_by(|a, b| (a.line, &a.what).cmp(&(b.line, &b.what)));
    found.dedup();
    found
}

/// The types a region declares itself (an `impl` may only be for these).
#[derive(Default)]
struct LocalTypes(BTreeSet<String>);

impl<'a> Visit<'a> for LocalTypes {
    fn visit_item_struct(&mut self, i: &'a syn::ItemStruct) {
        self.0.insert(i.ident.to_string());
    }
    fn visit_item_enum(&mut self, i: &'a syn::ItemEnum) {
        self.0.insert(i.ident.to_string());
    }
    fn visit_item_union(&mut self, i: &'a syn::ItemUnion) {
        self.0.insert(i.ident.to_string());
    }
    fn visit_item_trait(&mut self, i: &'a syn::ItemTrait) {
        self.0.insert(i.ident.to_string());
        syn::visit::visit_item_trait(self, i);
    }
}

struct Checker {
    local_types: BTreeSet<String>,
    found: Vec<(Span, String)>,
}

impl Checker {
    fn refuse(&mut self, span: Span, what: impl Into<String>) {
        self.found.push((span, what.into()));
    }

    fn check_name(&mut self, ident: &syn::Ident) {
        let name = ident.to_string();
        if NAMES.contains(&name.as_str()) {
            self.refuse(
                ident.span(),
                format!("`{name}` (process, file, network or environment access)"),
            );
        }
    }

    /// The tokens of a macro call, which `syn` leaves unparsed.
    fn scan_tokens(&mut self, tokens: TokenStream) {
        let tts: Vec<TokenTree> = tokens.into_iter().collect();
        for (k, tt) in tts.iter().enumerate() {
            let next = tts.get(k + 1);
            let prev = k.checked_sub(1).and_then(|j| tts.get(j));
            let is_path_sep = |t: Option<&TokenTree>, first: bool| {
                matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == ':'
                    && (!first || p.spacing() == Spacing::Joint))
            };
            match tt {
                TokenTree::Group(g) => self.scan_tokens(g.stream()),
                TokenTree::Ident(id) => {
                    let name = id.to_string();
                    let s = name.as_str();
                    let bang = matches!(next, Some(TokenTree::Punct(p)) if p.as_char() == '!');
                    let before_sep = is_path_sep(next, true);
                    let after_sep = is_path_sep(prev, false);
                    if KEYWORDS.contains(&s) {
                        self.refuse(id.span(), format!("`{s}`"));
                    } else if NAMES.contains(&s) {
                        self.refuse(
                            id.span(),
                            format!("`{s}` (process, file, network or environment access)"),
                        );
                    } else if bang && MACROS.contains(&s) {
                        self.refuse(id.span(), format!("the macro `{s}!`"));
                    } else if MODULES.contains(&s) && (before_sep || after_sep) {
                        self.refuse(id.span(), format!("the module `{s}`"));
                    } else if CRATES.contains(&s) && before_sep {
                        self.refuse(id.span(), format!("the crate `{s}`"));
                    } else if IO_CALLS.contains(&s) {
                        self.refuse(id.span(), format!("`{s}` (file input or output)"));
                    }
                }
                TokenTree::Punct(p) if p.as_char() == '#' => {
                    let attr = match next {
                        Some(TokenTree::Group(g)) => g.delimiter() == Delimiter::Bracket,
                        Some(TokenTree::Punct(q)) => q.as_char() == '!',
                        _ => false,
                    };
                    if attr {
                        self.refuse(p.span(), "an attribute `#[…]`");
                    }
                }
                _ => {}
            }
        }
    }
}

impl<'a> Visit<'a> for Checker {
    fn visit_attribute(&mut self, a: &'a syn::Attribute) {
        self.refuse(
            a.span(),
            "an attribute `#[…]` (it could add a test or change how code compiles)",
        );
    }

    fn visit_expr_unsafe(&mut self, e: &'a syn::ExprUnsafe) {
        self.refuse(e.unsafe_token.span, "`unsafe`");
        syn::visit::visit_expr_unsafe(self, e);
    }

    fn visit_signature(&mut self, s: &'a syn::Signature) {
        if let Some(u) = &s.unsafety {
            self.refuse(u.span, "`unsafe fn`");
        }
        syn::visit::visit_signature(self, s);
    }

    fn visit_abi(&mut self, a: &'a syn::Abi) {
        self.refuse(a.extern_token.span, "`extern`");
    }

    fn visit_item_foreign_mod(&mut self, i: &'a syn::ItemForeignMod) {
        self.refuse(i.abi.extern_token.span, "an `extern` block");
    }

    fn visit_item_extern_crate(&mut self, i: &'a syn::ItemExternCrate) {
        self.refuse(i.extern_token.span, "`extern crate`");
    }

    fn visit_item_mod(&mut self, i: &'a syn::ItemMod) {
        self.refuse(i.mod_token.span, "a module (`mod`)");
    }

    fn visit_item_trait(&mut self, i: &'a syn::ItemTrait) {
        if let Some(u) = &i.unsafety {
            self.refuse(u.span, "`unsafe trait`");
        }
        syn::visit::visit_item_trait(self, i);
    }

    fn visit_item_impl(&mut self, i: &'a syn::ItemImpl) {
        if let Some(u) = &i.unsafety {
            self.refuse(u.span, "`unsafe impl`");
        }
        let local = match &*i.self_ty {
            syn::Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => self
                .local_types
                .contains(&p.path.segments[0].ident.to_string()),
            _ => false,
        };
        if !local {
            self.refuse(
                i.impl_token.span,
                "an `impl` for a type declared outside the exercise (it would change that type everywhere)",
            );
        }
        syn::visit::visit_item_impl(self, i);
    }

    fn visit_macro(&mut self, m: &'a syn::Macro) {
        let name = m
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if MACROS.contains(&name.as_str()) {
            self.refuse(m.path.span(), format!("the macro `{name}!`"));
        }
        syn::visit::visit_macro(self, m);
        self.scan_tokens(m.tokens.clone());
    }

    fn visit_path(&mut self, p: &'a syn::Path) {
        let n = p.segments.len();
        for (k, seg) in p.segments.iter().enumerate() {
            let name = seg.ident.to_string();
            let s = name.as_str();
            if k == 0 && n > 1 && CRATES.contains(&s) {
                self.refuse(seg.ident.span(), format!("the crate `{s}`"));
            }
            if k + 1 < n && MODULES.contains(&s) {
                self.refuse(seg.ident.span(), format!("the module `{s}`"));
            }
            if n > 1 && k + 1 == n && (IO_CALLS.contains(&s) || s == "load") {
                self.refuse(seg.ident.span(), format!("`{s}` (file input or output)"));
            }
            self.check_name(&seg.ident);
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_use_tree(&mut self, t: &'a syn::UseTree) {
        let ident = match t {
            syn::UseTree::Path(p) => Some(&p.ident),
            syn::UseTree::Name(n) => Some(&n.ident),
            syn::UseTree::Rename(r) => Some(&r.ident),
            _ => None,
        };
        if let Some(id) = ident {
            let name = id.to_string();
            let s = name.as_str();
            if MODULES.contains(&s) {
                self.refuse(id.span(), format!("the module `{s}`"));
            } else if CRATES.contains(&s) {
                self.refuse(id.span(), format!("the crate `{s}`"));
            } else if IO_CALLS.contains(&s) {
                self.refuse(id.span(), format!("`{s}` (file input or output)"));
            }
            self.check_name(id);
        }
        syn::visit::visit_use_tree(self, t);
    }

    fn visit_expr_method_call(&mut self, e: &'a syn::ExprMethodCall) {
        let name = e.method.to_string();
        // `.load(path)` reads weights; an atomic's `.load(Ordering::…)` is fine.
        let file_load = name == "load"
            && !e.args.iter().any(|a| {
                quote::ToTokens::to_token_stream(a)
                    .to_string()
                    .contains("Ordering")
            });
        if IO_CALLS.contains(&name.as_str()) || file_load {
            self.refuse(
                e.method.span(),
                format!("`.{name}(…)` (file input or output)"),
            );
        }
        syn::visit::visit_expr_method_call(self, e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> Vec<String> {
        check_region(text, 10)
            .into_iter()
            .map(|r| format!("{}: {}", r.line, r.what))
            .collect()
    }

    fn allowed(text: &str) {
        let r = refused(text);
        assert!(r.is_empty(), "refused {text:?}: {r:?}");
    }

    fn refused_at(text: &str, line: usize, needle: &str) {
        let r = refused(text);
        assert!(
            r.iter()
                .any(|m| m.starts_with(&format!("{line}: ")) && m.contains(needle)),
            "{text:?}: want line {line} with {needle:?}, got {r:?}"
        );
    }

    #[test]
    fn ordinary_exercise_code_is_allowed() {
        allowed("let n = x.len();\nlet acc = x.iter().zip(y).filter(|(a, b)| a == b).count();\nacc as f64 / n as f64");
        allowed("fn helper(a: f64) -> f64 { a * 2.0 }\nlet f = |v: f64| helper(v) + 1.0;\nprintln!(\"{}\", f(1.0));\nassert!(f(0.0) > 0.0, \"{}\", 1);\nvec![1, 2, 3]");
        allowed("struct Acc { n: usize }\nimpl Acc { fn add(&mut self) { self.n += 1; } }\nlet mut a = Acc { n: 0 };\na.add();\na.n");
        allowed("use std::collections::BTreeMap;\nlet mut m = BTreeMap::new();\nm.insert(1, 2);\nm.len()");
        // Words that only look like the refused ones.
        allowed("let net = 3;\nlet env = net + 1;\nlet process = |x: i32| x;\nprocess(env)");
        allowed("let v = std::io::stdout();\ndrop(v);\nlet s = format!(\"std::fs and #[test] in a string\");\ns.len()");
        allowed("todo!(\"metrics.eval: write it\")");
        allowed("");
    }

    #[test]
    fn reaching_outside_the_region_is_refused_with_its_line() {
        refused_at("let a = 1;\nstd::process::exit(0)", 11, "process");
        refused_at(
            "use std::process::Command;\nCommand::new(\"sh\").status().ok();",
            10,
            "Command",
        );
        refused_at("let t = std::fs::read_to_string(\"x\");", 10, "module `fs`");
        refused_at("use std::{fs, io};\nlet _ = 1;", 10, "module `fs`");
        refused_at("use std::net as n;", 10, "module `net`");
        refused_at("let v = std::env::var(\"HOME\");", 10, "module `env`");
        refused_at(
            "let s = std::net::TcpStream::connect(\"1.2.3.4:80\");",
            10,
            "TcpStream",
        );
        refused_at("let x = unsafe { 1 };\nx", 10, "unsafe");
        refused_at("\nunsafe fn f() {}", 11, "unsafe fn");
        refused_at("extern \"C\" { fn abort(); }", 10, "extern");
        refused_at("extern crate libc;", 10, "extern crate");
        refused_at("mod m {}", 10, "module (`mod`)");
        refused_at("#[test]\nfn t() {}", 10, "attribute");
        refused_at("#[allow(unused)]\nlet x = 1;", 10, "attribute");
        refused_at("macro_rules! m { () => {} }", 10, "macro_rules");
        refused_at(
            "let s = include_str!(\"../tests/hidden.rs\");",
            10,
            "include_str",
        );
        refused_at("let s = env!(\"HOME\");", 10, "env!");
        refused_at(
            "impl Default for Metrics { fn default() -> Self { todo!() } }",
            10,
            "impl",
        );
        refused_at(
            "let w = labkit::write_bytes(p, b\"\");",
            10,
            "crate `labkit`",
        );
        refused_at("vs.save(\"weights.ot\").ok();", 10, "save");
        refused_at("let t = tch::Tensor::load(\"x\");", 10, "load");
        refused_at("vs.load(\"weights.ot\").ok();", 10, "load");
        allowed("let c = COUNT.load(std::sync::atomic::Ordering::SeqCst);\nc");
    }

    #[test]
    fn macro_arguments_are_checked_too() {
        refused_at(
            "println!(\"{}\", { std::process::exit(0); 1 });",
            10,
            "process",
        );
        refused_at("let v = vec![unsafe { 1 }];", 10, "unsafe");
        refused_at("assert!(\n  File::open(\"x\").is_ok());", 11, "File");
        refused_at("format!(\"{}\", include_str!(\"x\"));", 10, "include_str");
        refused_at("vec![#[cfg(test)] 1];", 10, "attribute");
    }

    #[test]
    fn text_that_would_escape_the_function_body_is_refused() {
        // Closing the function and opening another: not the statements of a block.
        let r = refused("1\n}\n#[test]\nfn fake() {\n");
        assert!(r.len() == 1 && r[0].contains("does not parse"), "{r:?}");
        // An unclosed block comment or string would swallow the code after the region.
        assert!(refused("1 /* open")
            .iter()
            .any(|m| m.contains("does not parse")));
        assert!(refused("let s = r#\"open")
            .iter()
            .any(|m| m.contains("does not parse")));
    }
}
