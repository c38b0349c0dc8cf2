"""RFC 7240 `Prefer: return=minimal`: the client does not want the (possibly huge) representation back."""


def wants_minimal(request) -> bool:
    for header in request.headers.get("Prefer", "").split(","):
        for token in header.split(";"):
            if token.strip().lower().replace(" ", "") == "return=minimal":
                return True
    return False
