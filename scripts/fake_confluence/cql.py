"""A small CQL (Confluence Query Language) subset for ``/content/search``.

Grammar (keywords case-insensitive)::

    query    := [expr] [ORDER BY field [ASC|DESC] {, field [ASC|DESC]}]
    expr     := and {OR and}
    and      := unary {AND unary}
    unary    := NOT unary | '(' expr ')' | clause
    clause   := field op value | field [NOT] IN '(' value {, value} ')'
    op       := = | != | > | >= | < | <= | ~ | !~
    value    := 'text' | "text" | bareword | now(["-4w"])

Fields: ``type``, ``space`` (alias ``space.key``), ``id``/``content``, ``title``,
``text``, ``label``, ``status``, ``ancestor``, ``parent``, ``created``,
``lastmodified`` (alias ``lastModified``). Date literals: ``yyyy-MM-dd HH:mm``,
``yyyy/MM/dd HH:mm``, ``yyyy-MM-dd``, ``yyyy/MM/dd``, read as **UTC**; the
comparison is against the literal's first instant. ``now("-4w")`` offsets
take ``m h d w`` units. Without a ``status`` clause only ``current`` pages
match (archived/trashed/draft are hidden, as in Confluence search).
ORDER BY fields: ``lastmodified``, ``created``, ``title``, ``id``; ties are
broken by ascending id. Without ORDER BY results are ordered by id.
Anything else raises :class:`CQLError` (the server answers 400).
"""

from __future__ import annotations

import calendar
import re
import time
from typing import Callable, List, Optional, Tuple

from .store import Page, Space, Store


class CQLError(ValueError):
    """The query is outside the supported subset or malformed."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op>!=|>=|<=|!~|=|>|<|~)
      | (?P<punct>[(),])
      | (?P<word>[^\s'"(),=!<>~]+)
    )""",
    re.X,
)

_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
_FIELD_ALIASES = {
    "type": "type", "space": "space", "space.key": "space", "id": "id", "content": "id",
    "title": "title", "text": "text", "label": "label", "labels": "label", "status": "status",
    "ancestor": "ancestor", "parent": "parent", "created": "created",
    "lastmodified": "lastmodified",
}
_ORDER_FIELDS = {"lastmodified", "created", "title", "id"}
_UNIT_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}

Predicate = Callable[[Page, Space, Store], bool]


class Query:
    """A compiled query: ``matches(page, space, store)`` plus an ORDER BY key."""

    def __init__(self, pred: Optional[Predicate], order: List[Tuple[str, bool]], mentions_status: bool):
        self._pred = pred
        self.order = order
        self.mentions_status = mentions_status

    def matches(self, page: Page, space: Space, store: Store) -> bool:
        if not self.mentions_status and page.status != "current":
            return False
        return self._pred is None or self._pred(page, space, store)

    @property
    def order_spec(self) -> List[Tuple[str, bool]]:
        """ORDER BY as :func:`paging.order_key` field names."""
        names = {"lastmodified": "modified", "created": "created", "title": "title", "id": "id"}
        return [(names[f], desc) for f, desc in self.order]


def _tokenize(text: str) -> List[Tuple[str, str]]:
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise CQLError("Could not parse cql : %s (near position %d)" % (text, pos))
        pos = m.end()
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "str":
            val = re.sub(r"\\(.)", r"\1", val[1:-1])
        out.append((kind, val))
    return out


def parse_date(text: str) -> int:
    """Parse a CQL date literal into epoch ms (UTC)."""
    for fmt in _DATE_FORMATS:
        try:
            return calendar.timegm(time.strptime(text.strip(), fmt)) * 1000
        except ValueError:
            continue
    raise CQLError("Invalid date '%s': use yyyy-MM-dd HH:mm, yyyy/MM/dd HH:mm, yyyy-MM-dd or yyyy/MM/dd" % text)


class _Parser:
    def __init__(self, text: str, now_ms: int):
        self.toks = _tokenize(text)
        self.i = 0
        self.text = text
        self.now_ms = now_ms
        self.mentions_status = False

    def peek(self, ahead: int = 0) -> Tuple[str, str]:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else ("eof", "")

    def take(self) -> Tuple[str, str]:
        tok = self.peek()
        self.i += 1
        return tok

    def is_kw(self, word: str, ahead: int = 0) -> bool:
        kind, val = self.peek(ahead)
        return kind == "word" and val.lower() == word

    def fail(self, why: str) -> CQLError:
        return CQLError("Could not parse cql : %s (%s)" % (self.text, why))

    def expect(self, kind: str, val: Optional[str] = None) -> str:
        k, v = self.take()
        if k != kind or (val is not None and v != val):
            raise self.fail("expected %s" % (val or kind))
        return v

    # query := [expr] [ORDER BY ...]
    def parse(self) -> Query:
        pred = None
        if not self.is_kw("order") and self.peek()[0] != "eof":
            pred = self.expr()
        order: List[Tuple[str, bool]] = []
        if self.is_kw("order"):
            self.take()
            if not self.is_kw("by"):
                raise self.fail("expected BY after ORDER")
            self.take()
            while True:
                k, v = self.take()
                f = _FIELD_ALIASES.get(v.lower()) if k == "word" else None
                if f not in _ORDER_FIELDS:
                    raise self.fail("cannot order by %r" % v)
                desc = False
                if self.is_kw("asc") or self.is_kw("desc"):
                    desc = self.take()[1].lower() == "desc"
                order.append((f, desc))
                if self.peek() == ("punct", ","):
                    self.take()
                    continue
                break
        if self.peek()[0] != "eof":
            raise self.fail("unexpected %r" % self.peek()[1])
        return Query(pred, order or [("id", False)], self.mentions_status)

    def expr(self) -> Predicate:
        parts = [self.and_()]
        while self.is_kw("or"):
            self.take()
            parts.append(self.and_())
        if len(parts) == 1:
            return parts[0]
        return lambda p, s, st: any(f(p, s, st) for f in parts)

    def and_(self) -> Predicate:
        parts = [self.unary()]
        while self.is_kw("and"):
            self.take()
            parts.append(self.unary())
        if len(parts) == 1:
            return parts[0]
        return lambda p, s, st: all(f(p, s, st) for f in parts)

    def unary(self) -> Predicate:
        if self.is_kw("not"):
            self.take()
            inner = self.unary()
            return lambda p, s, st: not inner(p, s, st)
        if self.peek() == ("punct", "("):
            self.take()
            inner = self.expr()
            self.expect("punct", ")")
            return inner
        return self.clause()

    def value(self) -> Tuple[str, Optional[int]]:
        """Returns (text, now_ms_value_if_function)."""
        k, v = self.take()
        if k == "str":
            return v, None
        if k != "word" or v.lower() in ("and", "or", "order", "in", "not"):
            raise self.fail("expected a value")
        if v.lower() == "now" and self.peek() == ("punct", "("):
            self.take()
            offset = 0
            if self.peek()[0] == "str":
                arg = self.take()[1].strip()
                m = re.fullmatch(r"([+-]?)(\d+)([mhdw])", arg)
                if not m:
                    raise self.fail("bad now() offset %r" % arg)
                offset = int(m.group(2)) * _UNIT_MS[m.group(3)] * (-1 if m.group(1) == "-" else 1)
            self.expect("punct", ")")
            return "now", self.now_ms + offset
        return v, None

    def clause(self) -> Predicate:
        k, raw = self.take()
        if k != "word":
            raise self.fail("expected a field name")
        fieldname = _FIELD_ALIASES.get(raw.lower())
        if fieldname is None:
            raise self.fail("unsupported field %r" % raw)
        if fieldname == "status":
            self.mentions_status = True
        negate_in = False
        if self.is_kw("not") and self.is_kw("in", 1):
            self.take()
            negate_in = True
        if self.is_kw("in"):
            self.take()
            self.expect("punct", "(")
            values = [self.value()[0]]
            while self.peek() == ("punct", ","):
                self.take()
                values.append(self.value()[0])
            self.expect("punct", ")")
            preds = [self._compare(fieldname, "=", v, None) for v in values]
            if negate_in:
                return lambda p, s, st: not any(f(p, s, st) for f in preds)
            return lambda p, s, st: any(f(p, s, st) for f in preds)
        if negate_in:
            raise self.fail("expected IN after NOT")
        kind, op = self.take()
        if kind != "op":
            raise self.fail("expected an operator after %s" % raw)
        val, fn_ms = self.value()
        return self._compare(fieldname, op, val, fn_ms)

    def _compare(self, fieldname: str, op: str, val: str, fn_ms: Optional[int]) -> Predicate:
        if fieldname in ("created", "lastmodified"):
            if op in ("~", "!~"):
                raise self.fail("operator %s not valid for dates" % op)
            t = fn_ms if fn_ms is not None else parse_date(val)
            get = (lambda p: p.created_ms) if fieldname == "created" else (lambda p: p.modified_ms)
            cmp = {
                "=": lambda a: a == t, "!=": lambda a: a != t, ">": lambda a: a > t,
                ">=": lambda a: a >= t, "<": lambda a: a < t, "<=": lambda a: a <= t,
            }[op]
            return lambda p, s, st: cmp(get(p))
        if op not in ("=", "!=", "~", "!~"):
            raise self.fail("operator %s not valid for %s" % (op, fieldname))
        if fieldname == "title" or fieldname == "text":
            needle = val.lower()
            if fieldname == "text":
                if op not in ("~", "!~"):
                    raise self.fail("text only supports ~ and !~")
                base: Predicate = lambda p, s, st: needle in p.title.lower() or needle in p.body_json.lower()
            elif op in ("~", "!~"):
                base = lambda p, s, st: needle in p.title.lower()
            else:
                base = lambda p, s, st: p.title.lower() == needle
        else:
            if op in ("~", "!~"):
                raise self.fail("operator %s not valid for %s" % (op, fieldname))
            base = self._equality(fieldname, val)
        if op in ("!=", "!~"):
            return lambda p, s, st: not base(p, s, st)
        return base

    def _equality(self, fieldname: str, val: str) -> Predicate:
        if fieldname == "type":
            want = val.lower()
            return lambda p, s, st: getattr(p, "type", "page") == want
        if fieldname == "space":
            key = val.lower()
            return lambda p, s, st: s.key.lower() == key
        if fieldname == "status":
            want = val.lower()
            return lambda p, s, st: p.status == want
        if fieldname == "label":
            name = val.lower()
            # As Confluence shows labels: bare for global ones, ``my:x`` / ``team:x`` otherwise.
            return lambda p, s, st: any(
                (lab.name if lab.prefix == "global" else lab.prefix + ":" + lab.name).lower() == name for lab in p.labels)
        if not val.isdigit():
            raise self.fail("%s needs a numeric id" % fieldname)
        num = int(val)
        if fieldname == "id":
            return lambda p, s, st: p.id == num
        if fieldname == "parent":
            return lambda p, s, st: p.parent_id == num
        # ancestor
        return lambda p, s, st: any(a.id == num for a in st.ancestors(p))


def compile_cql(text: str, now_ms: Optional[int] = None) -> Query:
    """Parse ``text`` into a :class:`Query`; raises :class:`CQLError`."""
    if text is None or not text.strip():
        raise CQLError("CQL query parameter 'cql' is required")
    return _Parser(text, now_ms if now_ms is not None else int(time.time() * 1000)).parse()
