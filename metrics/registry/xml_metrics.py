"""XML metrics: well-formedness, structural equality and XSD conformance, all through one hardened parser.

Safety: the prolog is read before parsing, and a document whose DOCTYPE names an external DTD (SYSTEM or
PUBLIC), declares an entity or refers to a parameter entity is refused there, so billion-laughs and
external-entity attacks never reach the parser. A DOCTYPE that declares only elements, attributes and notations
is harmless and accepted; "<!DOCTYPE" or "<!ENTITY" inside a comment, CDATA section or text is only characters.
The parser itself never resolves entities, never loads a DTD, never touches the network and keeps libxml2's
depth and size limits (huge_tree off).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Hashable, Mapping
from typing import Any

from .base import Arg, Args, MetricInputError, MetricSpec, Record, Score, ensure_size, field_text, pass_fail
from .matching import Budget, Interner, match_unordered

# An lxml element: lxml ships no type information (its parsers and compiled schemas are Any too).
Element = Any

STRUCTURAL = "Structural"
XSD_NAMESPACE = "http://www.w3.org/2001/XMLSchema"
# Schema elements that would make libxml2 load another document from disk or the network.
XSD_LOADING_ELEMENTS = ("include", "import", "redefine", "override")


class InvalidXml(ValueError):
    pass


_parsers = threading.local()  # lxml parsers must not be shared between threads

# Prolog items before the root element: white space, the XML declaration or a processing instruction, a comment.
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
_DOCTYPE_HEAD = re.compile(r"<!DOCTYPE\s+[^\s\[>]+\s*")
_EXTERNAL_ID = re.compile(r"(SYSTEM|PUBLIC)\b")
_SPACE = re.compile(r"\s*")
# Inside the internal subset: white space, a comment or PI, or a declaration that cannot load or define anything.
_SUBSET_ITEM = re.compile(
    r"""\s+|<\?.*?\?>|<!--.*?-->|<!(?:ELEMENT|ATTLIST|NOTATION)\b(?:[^"'>]|"[^"]*"|'[^']*')*>""", re.DOTALL
)


def _doctype_problem(text: str) -> str | None:
    """Why the DOCTYPE of `text` is refused, or None (no DOCTYPE, or one that declares nothing dangerous).

    Reads the prolog only, in one pass; anything it does not recognise inside a DOCTYPE is refused, since a
    well-formed internal subset holds nothing else.
    """
    position = 1 if text.startswith("\ufeff") else 0
    while True:
        if match := _PROLOG_ITEM.match(text, position):
            position = match.end()
            continue
        if not text.startswith("<!DOCTYPE", position):
            return None  # the root element (or text the parser will refuse) begins here
        head = _DOCTYPE_HEAD.match(text, position)
        if head is None:
            return "has a malformed DOCTYPE"
        position = head.end()
        if _EXTERNAL_ID.match(text, position):
            return "has a DOCTYPE that names an external DTD, which is not accepted"
        if text.startswith("[", position):
            position += 1
            while match := _SUBSET_ITEM.match(text, position):
                position = match.end()
            if text.startswith("<!ENTITY", position):
                return "has a DOCTYPE that declares entities, which are not accepted"
            if text.startswith("%", position):
                return "has a DOCTYPE that refers to a parameter entity, which is not accepted"
            if not text.startswith("]", position):
                return "has a malformed DOCTYPE"
            space = _SPACE.match(text, position + 1)
            assert space is not None  # the pattern matches the empty string
            position = space.end()
        if not text.startswith(">", position):
            return "has a malformed DOCTYPE"
        position += 1


def _parser() -> Any:
    if not hasattr(_parsers, "parser"):
        from lxml import etree  # type: ignore[import-untyped]

        _parsers.parser = etree.XMLParser(
            # The text arrives decoded and is handed over as UTF-8: a declared encoding must not re-decode it.
            encoding="utf-8",
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
            dtd_validation=False,
            remove_comments=True,
            remove_pis=True,
        )
    return _parsers.parser


def parse_xml(field_name: str, text: str) -> Element:
    """Parse one XML document safely and return its root element. Raises InvalidXml with a short reason."""
    from lxml import etree

    ensure_size(field_name, text)
    if problem := _doctype_problem(text):
        raise InvalidXml(f"{field_name} {problem}")
    if not text.strip():
        raise InvalidXml(f"{field_name} is empty")
    try:
        # Bytes, because lxml refuses str input that carries an encoding declaration.
        root = etree.fromstring(text.encode("utf-8"), _parser())
    except etree.XMLSyntaxError as exc:
        reason = str(exc).split(" (<string>")[0]
        raise InvalidXml(f"{field_name} is not well-formed XML ({reason})") from None
    if root is None:
        raise InvalidXml(f"{field_name} has no root element")
    # The parser's own view, in case it ever reads a prolog differently from _doctype_problem.
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    if docinfo.system_url or docinfo.public_id or docinfo.externalDTD is not None:
        raise InvalidXml(f"{field_name} has a DOCTYPE that names an external DTD, which is not accepted")
    if dtd is not None and next(dtd.iterentities(), None) is not None:
        raise InvalidXml(f"{field_name} has a DOCTYPE that declares entities, which are not accepted")
    return root


def score_is_valid_xml(record: Record, args: Args) -> Score:
    try:
        parse_xml("output", field_text(record, "output"))
    except InvalidXml as exc:
        return pass_fail(False, str(exc))
    return pass_fail(True, "output is well-formed XML")


# Reading attributes through lxml's mapping looks each value up by name, which is quadratic in the number of
# attributes of one element; an XPath over @* reads them in one pass.
_MANY_ATTRIBUTES = 32


def attributes(element: Element) -> dict[str, str]:
    if len(element.attrib) <= _MANY_ATTRIBUTES:
        return dict(element.attrib)
    return {value.attrname: str(value) for value in element.xpath("@*")}


class XmlComparison:
    """One golden/output comparison. Unordered children compare by interned structural forms, and pairing
    children that may carry extra attributes is bounded by a comparison budget."""

    def __init__(self, options: Mapping[str, bool]):
        self.ignore_order = options["ignore_order"]
        self.ignore_extra_attributes = options["ignore_extra_attributes"]
        self.ignore_whitespace = options["ignore_whitespace"]
        self.intern = Interner()
        self.budget = Budget()
        # Keyed by element: holding the proxies also keeps them (and so their identity) alive.
        self._attributes: dict[Element, dict[str, str]] = {}
        self._forms: dict[Element, int] = {}

    def text(self, value: str | None) -> str:
        value = value or ""
        # Whitespace-insensitive text: trim both ends and collapse inner runs, so formatting does not matter.
        return " ".join(value.split()) if self.ignore_whitespace else value

    def attributes(self, element: Element) -> dict[str, str]:
        known = self._attributes.get(element)
        if known is None:
            known = self._attributes[element] = attributes(element)
        return known

    def form(self, element: Element) -> int:
        """Equal forms mean equal elements (tail included), children in any order when ignore_order is on."""
        known = self._forms.get(element)
        if known is None:
            children = [self.form(child) for child in element]
            key = (
                element.tag,
                tuple(sorted(self.attributes(element).items())),
                self.text(element.text),
                self.text(element.tail),
                tuple(sorted(children) if self.ignore_order else children),
            )
            known = self._forms[element] = self.intern(key)
        return known

    def features(self, element: Element) -> frozenset[Hashable]:
        """What any output element that satisfies `element` shares with it."""
        return frozenset(
            {
                ("tag", element.tag),
                ("text", self.text(element.text)),
                ("tail", self.text(element.tail)),
                ("children", len(element)),
                *(("attribute", name, value) for name, value in self.attributes(element).items()),
            }
        )

    def attributes_match(self, golden: Element, output: Element) -> bool:
        golden_attrs, output_attrs = self.attributes(golden), self.attributes(output)
        if self.ignore_extra_attributes:
            return all(output_attrs.get(name) == value for name, value in golden_attrs.items())
        return golden_attrs == output_attrs

    def matches(self, golden: Element, output: Element, with_tail: bool = True) -> bool:
        if golden.tag != output.tag or len(golden) != len(output):
            return False
        if not self.attributes_match(golden, output):
            return False
        if self.text(golden.text) != self.text(output.text):
            return False
        if with_tail and self.text(golden.tail) != self.text(output.tail):
            return False
        golden_children, output_children = list(golden), list(output)
        if not self.ignore_order:
            return all(self.matches(g, o) for g, o in zip(golden_children, output_children, strict=True))
        if not self.ignore_extra_attributes:
            return sorted(map(self.form, golden_children)) == sorted(map(self.form, output_children))
        return match_unordered(
            golden_children,
            output_children,
            form=self.form,
            features=self.features,
            compatible=self.matches,
            budget=self.budget,
        )


def score_xml_equal(record: Record, args: Args) -> Score:
    try:
        output = parse_xml("output", field_text(record, "output"))
        golden = parse_xml("golden_answer", field_text(record, "golden_answer"))
    except InvalidXml as exc:
        return pass_fail(False, str(exc))
    options = {
        "ignore_order": args.get("ignore_order", False),
        "ignore_extra_attributes": args.get("ignore_extra_attributes", False),
        "ignore_whitespace": args.get("ignore_whitespace", True),
    }
    if XmlComparison(options).matches(golden, output, with_tail=False):
        return pass_fail(True, "output XML equals golden_answer XML")
    return pass_fail(False, "output XML differs from golden_answer XML")


_schemas = threading.local()
SCHEMA_CACHE_SIZE = 32


def _compiled_schema(schema_text: str) -> Any:
    """Compile an XSD once per thread; a self-contained schema is required (no include/import/redefine)."""
    from lxml import etree

    cache: dict[str, Any] = _schemas.__dict__.setdefault("cache", {})
    if schema_text in cache:
        return cache[schema_text]
    try:
        schema_root = parse_xml("schema", schema_text)
    except InvalidXml as exc:
        raise MetricInputError(str(exc)) from None
    for name in XSD_LOADING_ELEMENTS:
        if schema_root.find(f".//{{{XSD_NAMESPACE}}}{name}") is not None:
            raise MetricInputError(f"schema must be self-contained: xs:{name} is not supported")
    try:
        compiled = etree.XMLSchema(schema_root)
    except etree.XMLSchemaParseError as exc:
        raise MetricInputError(f"schema is not a valid XSD ({str(exc)[:200]})") from None
    if len(cache) >= SCHEMA_CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[schema_text] = compiled
    return compiled


def score_xml_schema_match(record: Record, args: Args) -> Score:
    schema_text = args.get("schema")
    if not schema_text or not schema_text.strip():
        raise MetricInputError("xml_schema_match needs a non-empty schema argument (an XSD document)")
    schema = _compiled_schema(schema_text)
    try:
        document = parse_xml("output", field_text(record, "output"))
    except InvalidXml as exc:
        return pass_fail(False, str(exc))
    if schema.validate(document.getroottree()):
        return pass_fail(True, "output satisfies the schema")
    error = schema.error_log.last_error
    reason = error.message if error is not None else "unknown reason"
    return pass_fail(False, f"output does not satisfy the schema ({reason[:200]})")


SPECS = [
    MetricSpec(
        id=14,
        shortname="is_valid_xml",
        name="Is valid XML",
        category=STRUCTURAL,
        description=(
            "Passes when the output is a well-formed XML document. For safety a DOCTYPE that names an external "
            "DTD (SYSTEM or PUBLIC), declares an entity or refers to a parameter entity scores 0, as does a "
            "document nested deeper than 256 levels; a DOCTYPE that declares only elements, attributes or "
            "notations is accepted (and not validated against). The text is taken as already decoded: an "
            "encoding declaration is not applied. Empty fails."
        ),
        default_threshold=100,
        inputs=("output",),
        args=(),
        is_active=True,
        scorer=score_is_valid_xml,
    ),
    MetricSpec(
        id=22,
        shortname="xml_equal",
        name="XML equal",
        category=STRUCTURAL,
        description=(
            "Passes when output and golden_answer are well-formed XML with the same elements (namespace-aware "
            "names), attributes (in any order) and text. Comments and processing instructions are ignored; "
            "ignore_whitespace trims and collapses whitespace in text. Parse failure scores 0."
        ),
        default_threshold=100,
        inputs=("output", "golden_answer"),
        args=(
            Arg("ignore_order", "boolean", default=False, description="Ignore the order of child elements."),
            Arg(
                "ignore_extra_attributes",
                "boolean",
                default=False,
                description="Ignore attributes that appear only in the output.",
            ),
            Arg(
                "ignore_whitespace",
                "boolean",
                default=True,
                description="Trim and collapse whitespace in text nodes before comparing.",
            ),
        ),
        is_active=True,
        scorer=score_xml_equal,
    ),
    MetricSpec(
        id=23,
        shortname="xml_schema_match",
        name="XML schema match",
        category=STRUCTURAL,
        description=(
            "Passes when the output is well-formed XML that satisfies the XSD given in `schema`. The schema must "
            "be self-contained (no include/import). A missing, empty or invalid schema is an evaluation error."
        ),
        default_threshold=100,
        inputs=("output",),
        args=(Arg("schema", "string", description="The XSD document, as text."),),
        is_active=True,
        scorer=score_xml_schema_match,
    ),
]
