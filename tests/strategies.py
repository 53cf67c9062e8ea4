"""hypothesis strategies for what clients send, and oracles that judge answers independently.

`details_documents` makes JSON objects of every shape the rules are about: nesting up to and past
32 levels, Unicode with NUL, astral characters and unpaired surrogates, empty, dotted and very
long keys, and numbers of every spelling within and beyond DynamoDB's limits. `expected_codes`
says, without the production rules, which rule codes a document must be refused with.
"""

from decimal import Context, Decimal
from typing import Any

import simplejson
from hypothesis import strategies as st

from schema.jsonvalue import dump_json, normal_number

DETAILS_LIMIT_BYTES = 64 * 1024
MAX_DEPTH = 32
MAX_KEY_BYTES = 65_535
DIGITS = 38
SMALLEST = Decimal("1E-130")
LARGEST_EXCLUSIVE = Decimal("1E+126")

# The numbers issue 9 reproduced, DynamoDB's extremes and one step past each.
EDGE_NUMBERS = [
    "1" + "0" * 40,
    "1.0000000000000000000000000000000000000000",
    "0E-200",
    "0E+200",
    "1.2345678901234567890123456789012345678E-130",
    "-0",
    "-0.000",
    "19.90",
    "1E-130",
    "-1E-130",
    "1E-131",
    "0.99E-130",
    "9.9999999999999999999999999999999999999E+125",
    "-9.9999999999999999999999999999999999999E+125",
    "1E+126",
    "12345678901234567890123456789012345678",
    "123456789012345678901234567890123456789",
    "1234567890123456789012345678901234567800000",
    "0.000001",
    "1E-7",
    "1E+38",
    "99999999999999999999999999999999999999",
]

_ALL_CHARACTERS = st.characters(exclude_categories=())  # surrogates and NUL included


def number_literals() -> st.SearchStrategy[Decimal]:
    """Decimals keeping the spelling they were made from (trailing zeros, exponents), which is
    how they are written into the request."""
    made = st.builds(
        lambda sign, whole, fraction, exponent: Decimal(f"{sign}{whole}{fraction}{exponent}"),
        st.sampled_from(["", "-"]),
        st.text("0123456789", min_size=1, max_size=44),
        st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=44).map(_fraction)),
        st.one_of(st.just(""), st.integers(-200, 200).map("E{:+d}".format)),
    )
    return st.one_of(made, st.sampled_from(EDGE_NUMBERS).map(Decimal))


def _fraction(digits: str) -> str:
    return "." + digits


def keys() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(_ALL_CHARACTERS, max_size=12),
        st.sampled_from(["", "a.b", "x[0]", '"', "\x00", "\ud800", "🐢", "ключ"]),
    )


def leaves() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        number_literals(),
        st.text(_ALL_CHARACTERS, max_size=30),
    )


def nested_chains() -> st.SearchStrategy[Any]:
    """A value nesting maps and lists `depth` levels deep, around the 32-level limit."""

    def chain(depth: int, lists: list[bool], leaf: Any) -> Any:
        value = leaf
        for in_list in lists[:depth]:
            value = [value] if in_list else {"k": value}
        return value

    return st.integers(26, 40).flatmap(
        lambda depth: st.builds(
            chain, st.just(depth), st.lists(st.booleans(), min_size=depth, max_size=depth), leaves()
        )
    )


def details_documents() -> st.SearchStrategy[dict[str, Any]]:
    """Small documents of every shape, and large ones at the size and key-length limits (one
    large part per document, so every request stays within the body limit)."""
    trees = st.recursive(
        leaves(),
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(keys(), children, max_size=4)
        ),
        max_leaves=16,
    )
    small = st.dictionaries(keys(), st.one_of(trees, nested_chains()), max_size=5)
    padded = st.integers(DETAILS_LIMIT_BYTES - 40, DETAILS_LIMIT_BYTES + 8).map(
        lambda size: {"pad": "x" * (size - len('{"pad":""}'))}
    )
    long_key = st.integers(MAX_KEY_BYTES - 2, MAX_KEY_BYTES + 2).map(lambda size: {"k" * size: 1})
    return st.one_of(small, small, small, padded, long_key)


# Key names that a JavaScript object or a Python object gives a meaning of its own, and keys
# that look empty: stored and answered as any other key. Each group is one way a key can be
# taken for something other than data.
SPECIAL_KEYS = (
    # Object.prototype's members: `obj[key] = value` on a plain JavaScript object sets the
    # prototype (`__proto__`), or `obj[key]` reads an inherited member instead of nothing.
    "__proto__",
    "constructor",
    "prototype",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toString",
    "toLocaleString",
    "valueOf",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
    # Other names JavaScript code reads as protocol: thenables, JSON.stringify, arrays.
    "then",
    "toJSON",
    "length",
    "caller",
    "arguments",
    "undefined",
    "null",
    "NaN",
    "Infinity",
    "0",
    "-0",
    "01",
    "4294967295",
    # Python's object model and dict's methods.
    "__class__",
    "__dict__",
    "__init__",
    "__slots__",
    "__module__",
    "__getattr__",
    "__getattribute__",
    "__setattr__",
    "__hash__",
    "__eq__",
    "__len__",
    "__doc__",
    "__weakref__",
    "__builtins__",
    "__globals__",
    "__reduce__",
    "__subclasses__",
    "keys",
    "items",
    "values",
    "get",
    "update",
    "copy",
    "pop",
    "setdefault",
    # GraphQL's introspection names.
    "__typename",
    "__schema",
    "__type",
    # DynamoDB's type tags, and the syntax of its expressions.
    "S",
    "N",
    "B",
    "M",
    "L",
    "SS",
    "NS",
    "BS",
    "NULL",
    "BOOL",
    "#name",
    ":value",
    "a.b",
    "x[0]",
    "$",
    # Keys that look empty: white space, invisible and zero-width characters, a lone combining
    # mark, bidirectional controls, fillers, tags.
    " ",
    "\t",
    "\n",
    "\r\n",
    "\x00",
    "\u00a0",  # no-break space
    "\u00ad",  # soft hyphen
    "\u034f",  # combining grapheme joiner
    "\u0301",  # combining acute accent, alone
    "\u115f",  # Hangul choseong filler
    "\u180e",  # Mongolian vowel separator
    "\u2002",  # en space
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\u202e",  # right-to-left override
    "\u202f",  # narrow no-break space
    "\u2060",  # word joiner
    "\u2063",  # invisible separator
    "\u3000",  # ideographic space
    "\u3164",  # Hangul filler
    "\u2800",  # Braille blank
    "\ufe0f",  # variation selector 16
    "\ufeff",  # byte order mark
    "\U000e0020",  # tag space
    "\U0001d173",  # musical symbol begin beam
    # Distinct keys that Unicode normalisation or case folding would merge: both of a pair in
    # one object must stay two keys.
    "\u00e9",  # é, precomposed
    "e\u0301",  # é, decomposed
    "\u212b",  # angstrom sign
    "\u00c5",  # Å
    "\u212a",  # Kelvin sign
    "K",
    "\ufb01",  # fi ligature
    "fi",
    "\u00df",  # sharp s
    "ss",
)


def special_keys() -> st.SearchStrategy[str]:
    """One special key, or a few joined (`__proto__` behind a zero-width space)."""
    one = st.sampled_from(SPECIAL_KEYS)
    return st.one_of(one, st.lists(one, min_size=2, max_size=3).map("".join))


def special_key_documents() -> st.SearchStrategy[dict[str, Any]]:
    """Valid details whose keys are special at every depth: the top level, objects inside
    objects, objects inside lists, down to the deepest level stored; empty objects and lists
    under them, and objects holding many special keys at once."""
    values = st.one_of(
        st.sampled_from(["", "x", *SPECIAL_KEYS[:3]]),
        st.sampled_from([0, 5, -1, Decimal("1.5")]),
        st.booleans(),
        st.none(),
        st.just({}),
        st.just([]),
    )
    trees = st.recursive(
        values,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(special_keys(), children, min_size=1, max_size=6),
        ),
        max_leaves=12,
    )
    deepest = st.builds(
        _special_chain,
        st.lists(st.tuples(special_keys(), st.booleans()), min_size=MAX_DEPTH, max_size=MAX_DEPTH),
        values,
    )
    crowded = st.lists(st.sampled_from(SPECIAL_KEYS), min_size=20, unique=True).map(
        lambda keys: {key: {key: [{key: index}]} for index, key in enumerate(keys)}
    )
    top = st.dictionaries(special_keys(), st.one_of(trees, deepest), min_size=1, max_size=6)
    return st.one_of(top, top, crowded).filter(lambda details: not expected_codes(details))


def _special_chain(levels: list[tuple[str, bool]], leaf: Any) -> Any:
    """`leaf` under one special key per level, each level an object or a list holding one,
    nesting exactly as deep as details may when it is a value of the details object."""
    value, depth = leaf, 1 + isinstance(leaf, dict | list)
    for key, in_list in levels:
        if depth + 1 + in_list > MAX_DEPTH:
            break
        value, depth = ([{key: value}], depth + 2) if in_list else ({key: value}, depth + 1)
    return value


def request_body(body: Any) -> bytes:
    """The JSON text a client sends: every number as spelled, text \\u-escaped (surrogates)."""
    return simplejson.dumps(body, use_decimal=True, ensure_ascii=True).encode()


# ---- oracles: what the answer must be, judged without the production rules ----------------

_WIDE = Context(prec=1000)


def number_code(number: Decimal) -> str | None:
    """The rule a number breaks, judged from DynamoDB's documented limits."""
    if number.is_zero():
        return None
    reduced = number.normalize(_WIDE)
    if len(reduced.as_tuple().digits) > DIGITS:
        return "number_too_precise"
    if not SMALLEST <= reduced.copy_abs() < LARGEST_EXCLUSIVE:  # abs() would round to 28 digits
        return "number_out_of_range"
    return None


def _valid_text(text: str) -> bool:
    return not any(0xD800 <= ord(char) <= 0xDFFF for char in text)


def _codes(value: Any, depth: int) -> set[str]:
    if isinstance(value, dict | list) and depth > MAX_DEPTH:
        return {"too_deep"}
    if isinstance(value, dict):
        found = {code for key in value if (code := _key_code(key))}
        return found.union(*(_codes(item, depth + 1) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_codes(item, depth + 1) for item in value))
    if isinstance(value, str) and not _valid_text(value):
        return {"invalid_unicode"}
    if isinstance(value, Decimal) and (code := number_code(value)):
        return {code}
    return set()


def _key_code(key: str) -> str | None:
    """Each key breaks at most one rule, judged in this order."""
    if key == "":
        return "empty_key"
    if not _valid_text(key):
        return "invalid_unicode"
    if len(key.encode()) > MAX_KEY_BYTES:
        return "key_too_long"
    return None


def normal_json(value: Any) -> Any:
    """`value` with every finite number in the spelling answers use (`normal_number`)."""
    if isinstance(value, dict):
        return {key: normal_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normal_json(item) for item in value]
    if isinstance(value, Decimal) and value.is_finite():
        return normal_number(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return normal_number(value)
    return value


def expected_codes(details: dict[str, Any]) -> set[str]:
    """The codes a `details` document must be refused with; empty when it must be stored.
    Size is judged as stored: compact UTF-8 with numbers in their normal spelling."""
    codes = _codes(details, 1)
    if codes:
        return codes
    if len(dump_json(normal_json(details))) > DETAILS_LIMIT_BYTES:
        return {"too_large"}
    return set()


def assert_same_json(got: Any, expected: Any, path: str = "details") -> None:
    """Equal JSON values with equal spelling of every number (`str` of the parsed Decimal), and
    no bool passing for a number (Python's `True == 1` would let it). Key order is not JSON's:
    DynamoDB maps keep none."""
    assert type(got) is type(expected), f"{path}: {got!r} is not {expected!r}"
    if isinstance(expected, dict):
        assert set(got) == set(expected), f"{path}: keys {set(got)} != {set(expected)}"
        for key in expected:
            assert_same_json(got[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(got) == len(expected), path
        for index, (item, wanted) in enumerate(zip(got, expected, strict=True)):
            assert_same_json(item, wanted, f"{path}[{index}]")
    elif isinstance(expected, Decimal):
        assert got == expected and str(got) == str(expected), f"{path}: {got} != {expected}"
    else:
        assert got == expected, path


# A JWK's members, and words a JWKS uses, for entries that come close to keys.
JWK_MEMBERS = ["kty", "alg", "kid", "use", "n", "e", "crv", "x", "y", "d", "k", "key_ops", "x5c"]
JWK_WORDS = [
    *("RSA", "EC", "oct", "OKP", "RS256", "ES256", "RS384", "ES512", "PS256", "HS256"),
    *("EdDSA", "none", "P-256", "P-384", "Ed25519", "sig", "enc", "AQAB", ""),
]


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value, small: null, booleans, numbers, strings, lists and objects."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=12)
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
        max_leaves=8,
    )


def jwks_entries(keys: list[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """Entries a JWKS may hold besides `keys`: any JSON, and `keys` with members dropped or set
    to anything, under a kid of their own (so that none stands in for one of `keys`)."""
    kids = {key["kid"] for key in keys}
    values = json_values() | st.sampled_from(JWK_WORDS)
    near_keys = st.builds(
        lambda key, dropped, changed, kid: {
            **{name: value for name, value in key.items() if name not in dropped},
            **changed,
            "kid": kid,
        },
        st.sampled_from(keys),
        st.sets(st.sampled_from(JWK_MEMBERS)),
        st.dictionaries(st.sampled_from(JWK_MEMBERS), values, max_size=4),
        (st.text(max_size=12) | json_values()).filter(
            lambda kid: not isinstance(kid, str) or kid not in kids
        ),
    )
    return json_values() | near_keys
