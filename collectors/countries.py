"""The countries the app stores take (`gl` for Google Play, the path's country for the App Store): ISO 3166-1."""

from __future__ import annotations

# ISO 3166-1 alpha-2, lower case as the stores' addresses write them, and Kosovo's xk, which both stores use.
ISO_3166_1 = frozenset("""
ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo bq br bs bt bv bw by bz
ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg eh er es et fi fj fk fm fo
fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je
jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mf mg mh mk ml mm mn mo
mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw
py qa re ro rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st sv sx sy sz tc td tf tg th tj tk tl tm
tn to tr tt tv tw tz ua ug um us uy uz va vc ve vg vi vn vu wf ws xk ye yt za zm zw""".split())
# What is often written instead of a country's code: the United Kingdom's common abbreviation, ISO 3166-1 alpha-3
# codes and names of the largest app markets.
COMMON_MISTAKES = {
    "uk": "gb", "usa": "us", "gbr": "gb", "deu": "de", "ger": "de", "fra": "fr", "jpn": "jp", "can": "ca", "aus": "au",
    "ind": "in", "bra": "br", "esp": "es", "ita": "it", "nld": "nl", "mex": "mx", "kor": "kr", "chn": "cn",
    "rus": "ru", "tur": "tr", "idn": "id", "che": "ch", "aut": "at", "swe": "se", "pol": "pl", "irl": "ie",
    "america": "us", "england": "gb", "britain": "gb", "germany": "de", "france": "fr", "japan": "jp",
}


def country_code(value: str) -> str:
    """`value` as the stores take a country (`US` -> `us`); a ValueError saying what to write for one that is no
    ISO 3166-1 alpha-2 code (`USA`, `uk`, `Germany`)."""
    code = value.strip().lower()
    if code in ISO_3166_1:
        return code
    meant = COMMON_MISTAKES.get(code.replace(" ", "").replace(".", ""))
    hint = f": write {meant}" if meant else " (the two letters of its ISO 3166-1 alpha-2 code, such as us, gb or de)"
    raise ValueError(f"{value!r} is not a country code the stores take{hint}")


def region_subtag(subtag: str) -> bool:
    """Whether `subtag`, after a language in `pt-BR` or `es_419`, names a region (a country or a UN M.49 area) or a
    script (`zh-Hant`)."""
    return subtag.lower() in ISO_3166_1 or (len(subtag) == 3 and subtag.isdigit()) or (
        len(subtag) == 4 and subtag.isascii() and subtag.isalpha())
