"""One flagged and one deliberately-not-flagged example per tdom rule (docs/rules.md shows them).

Each example is a module with `main()`; `outcome` is what real tdom 0.1.20 does when
`main()` runs: an exception name, `ok`, or `escaped:TEXT` / `dropped:TEXT` for markup that
comes out escaped or content that silently disappears. test_tdom_real_code.py checks both
halves: the rule reports the first example and not the second (statically), and tdom
behaves as stated (under Python 3.14 in Pyodide).
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD = "from string.templatelib import Template\nfrom tdom import html\n\n"


@dataclass(frozen=True)
class Example:
    rule: str
    flagged: str
    flagged_outcome: str
    clean: str
    clean_outcome: str


EXAMPLES = (
    Example(
        "TDOM001",
        HEAD + 'def Badge(label: str, /) -> Template:\n    return t"<b>{label}</b>"\n\n\n'
        'def main():\n    return html(t"<{Badge} />")\n',
        "TypeError",
        HEAD + 'def Badge(*, label: str) -> Template:\n    return t"<b>{label}</b>"\n\n\n'
        "def main():\n    return html(t\"<{Badge} label='new' />\")\n",
        "ok",
    ),
    Example(
        "TDOM002",
        HEAD + 'def Card(*, children: Template = t"") -> Template:\n'
        '    return t"<div>{children}</div>"\n\n\n'
        "def main():\n    return html(t\"<{Card} children='hi' />\")\n",
        "ValueError",
        HEAD + 'def Card(*, children: Template = t"") -> Template:\n'
        '    return t"<div>{children}</div>"\n\n\n'
        'def main():\n    return html(t"<{Card}>hi</{Card}>")\n',
        "ok",
    ),
    Example(
        "TDOM003",
        HEAD + 'def Badge(*, label: str) -> Template:\n    return t"<b>{label}</b>"\n\n\n'
        "def main():\n    return html(t\"<{Badge} label='new' color='red' />\")\n",
        "ValueError",
        HEAD + "def Badge(*, label: str, **attrs: str) -> Template:\n"
        '    return t"<b {attrs}>{label}</b>"\n\n\n'
        "def main():\n    return html(t\"<{Badge} label='new' color='red' />\")\n",
        "ok",
    ),
    Example(
        "TDOM004",
        HEAD + "class Users:\n    pass\n\n\n"
        'def Greeting(*, users: "Inject[Users]") -> Template:\n'
        '    return t"<p>{users}</p>"\n\n\n'
        'def main():\n    return html(t"<{Greeting} />")  # plain tdom: no container\n',
        "TypeError",
        HEAD + 'def Badge(*, label: str) -> Template:\n    return t"<b>{label}</b>"\n\n\n'
        'def main():\n    attrs = {"label": "new"}\n    return html(t"<{Badge} {attrs} />")\n',
        "ok",
    ),
    Example(
        "TDOM005",
        HEAD + 'def Badge(*, label: str) -> Template:\n    return t"<b>{label}</b>"\n\n\n'
        "def main():\n    return html(t\"<{Badge} label='new'>lost text</{Badge}>\")\n",
        "dropped:lost text",
        HEAD + 'def Badge(*, label: str, children: Template = t"") -> Template:\n'
        '    return t"<b>{label}{children}</b>"\n\n\n'
        "def main():\n    return html(t\"<{Badge} label='new'>kept text</{Badge}>\")\n",
        "ok",
    ),
    Example(
        "TDOM006",
        HEAD + 'def main():\n    return html(t"<div><span>x</div></span>")\n',
        "ValueError",
        HEAD + "def main():\n"
        '    return html(t"<div>" t"<span>x</span>" t"</div>")  # one Template\n',
        "ok",
    ),
    Example(
        "TDOM007",
        HEAD + 'def main():\n    return html(t"<div>unclosed")\n',
        "ValueError",
        HEAD + "def main():\n"
        '    parts = [t"<ul>", t"<li>a</li>", t"</ul>"]\n'
        '    return html(sum(parts, t""))  # pieces joined at run time\n',
        "ok",
    ),
    Example(
        "TDOM008",
        HEAD + 'def main():\n    return html(t"<><dt>a</dt><dd>b</dd></>")\n',
        "escaped:&lt;&gt;",
        HEAD + 'def main():\n    return html(t"<dt>a</dt><dd>b</dd>")\n',
        "ok",
    ),
    Example(
        "TDOM009",
        HEAD + 'def Title(*, text: str) -> Template:\n    return html(t"<h1>{text}</h1>")\n\n\n'
        "def main():\n    return html(t\"<{Title} text='Hi' />\")\n",
        "TypeError",
        HEAD + 'def title(*, text: str) -> str:\n    return html(t"<h1>{text}</h1>")\n\n\n'
        'def main():\n    return title(text="Hi")  # a helper, not a component\n',
        "ok",
    ),
    Example(
        "TDOM010",
        HEAD + "def main():\n    return html(t\"<div>{html(t'<b>x</b>')}</div>\")\n",
        "escaped:&lt;b&gt;",
        HEAD + "def main():\n    return html(t\"<div>{t'<b>x</b>'}</div>\")\n",
        "ok",
    ),
    Example(
        "TDOM011",
        HEAD + 'def main():\n    name = "Ada"\n    return html(f"<p>{name}</p>")\n',
        "AttributeError",
        HEAD + 'def main():\n    name = "Ada"\n    return html(t"<p>{name}</p>")\n',
        "ok",
    ),
    Example(
        "TDOM012",
        HEAD + 'def main():\n    items = ["a"]\n'
        "    return html(t\"<ul>{[f'<li>{x}</li>' for x in items]}</ul>\")\n",
        "escaped:&lt;li&gt;",
        HEAD + 'def main():\n    items = ["a"]\n'
        "    return html(t\"<a title='{f'{len(items)} items'}'>x</a>\")  # an attribute value\n",
        "ok",
    ),
    Example(
        "TDOM013",
        HEAD + 'def main():\n    name, value = "id", "x"\n'
        '    return html(t"<div {name}={value}></div>")\n',
        "ValueError",
        HEAD + 'def main():\n    attrs = {"id": "x"}\n    return html(t"<div {attrs}></div>")\n',
        "ok",
    ),
    Example(
        "TDOM014",
        'from tdom import Node, html\n\n\ndef main():\n    return html(t"<p>x</p>")\n',
        "ImportError",
        HEAD + "from tdom import Markup\n\n\ndef main():\n"
        "    return html(t\"<title>Tom & <Jerry></title>{Markup('<br>')}\")  # title is text\n",
        "ok",
    ),
)
"""Examples, one per rule, in rule order."""
