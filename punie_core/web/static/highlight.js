// A tiny Python highlighter for Code Mode snippets: tokens become <span>s whose text is set with
// textContent, so code from the model can never become markup.
"use strict";
(function () {
  const KEYWORDS = new Set([
    "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
    "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
    "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "match",
    "case",
  ]);
  const CONSTANTS = new Set(["True", "False", "None", "self", "cls"]);
  const BUILTINS = new Set([
    "abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "format", "getattr",
    "hasattr", "int", "isinstance", "len", "list", "map", "max", "min", "print", "range", "repr",
    "reversed", "set", "sorted", "str", "sum", "tuple", "type", "zip", "Exception", "ValueError",
    "TypeError", "KeyError",
  ]);
  // Order matters: comments, strings (with prefixes, triple quotes first), numbers, decorators,
  // names, whitespace, anything else one run at a time.
  const TOKEN = new RegExp(
    [
      "(#[^\\n]*)",
      "((?:[rRbBuUfF]{1,2})?(?:\"\"\"[\\s\\S]*?(?:\"\"\"|$)|'''[\\s\\S]*?(?:'''|$)|\"(?:\\\\.|[^\"\\\\\\n])*\"?|'(?:\\\\.|[^'\\\\\\n])*'?))",
      "(0[xXoObB][0-9a-fA-F_]+|\\d[\\d_]*(?:\\.[\\d_]*)?(?:[eE][+-]?\\d+)?j?|\\.\\d[\\d_]*)",
      "(@[A-Za-z_][\\w.]*)",
      "([A-Za-z_]\\w*)",
      "(\\s+)",
      "([^\\sA-Za-z_\\d#'\"]+|[\\s\\S])",
    ].join("|"),
    "gy",
  );

  function span(kind, text) {
    const node = document.createElement("span");
    node.className = "tok-" + kind;
    node.textContent = text;
    return node;
  }

  function python(code) {
    const fragment = document.createDocumentFragment();
    TOKEN.lastIndex = 0;
    let previous = "";
    let match;
    while (TOKEN.lastIndex < code.length && (match = TOKEN.exec(code)) !== null) {
      const [text, comment, string, number, decorator, name, space] = match;
      if (comment !== undefined) fragment.appendChild(span("comment", text));
      else if (string !== undefined) fragment.appendChild(span("string", text));
      else if (number !== undefined) fragment.appendChild(span("number", text));
      else if (decorator !== undefined) fragment.appendChild(span("decorator", text));
      else if (name !== undefined) {
        let kind = null;
        if (KEYWORDS.has(name)) kind = "keyword";
        else if (CONSTANTS.has(name)) kind = "constant";
        else if (previous === "def" || previous === "class") kind = "definition";
        else if (BUILTINS.has(name)) kind = "builtin";
        else if (code[TOKEN.lastIndex] === "(") kind = "call";
        fragment.appendChild(kind ? span(kind, text) : document.createTextNode(text));
        previous = name;
        continue;
      } else if (space !== undefined) {
        fragment.appendChild(document.createTextNode(text));
        continue;
      } else fragment.appendChild(span("operator", text));
      previous = "";
    }
    return fragment;
  }

  window.PunieHighlight = { python };
})();
