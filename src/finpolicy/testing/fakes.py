"""Deterministic fake Chinese customer data for tests, demos and benchmarks.

Every generator takes a ``random.Random`` so a seed reproduces the same data. Valid values
pass the matching detector in ``finpolicy.domains.detectors``; the ``invalid_*`` generators
give near-misses with the right shape and a wrong check character.
"""

from __future__ import annotations

import datetime as _dt
import random
from collections.abc import Iterator

from finpolicy.domains.detectors import (
    luhn_check_digit,
    resident_id_check_char,
    uscc_check_char,
)

__all__ = [
    "AREA_CODES",
    "bank_card",
    "chinese_name",
    "customer_records",
    "customer_rows",
    "email",
    "invalid_bank_card",
    "invalid_resident_id",
    "mobile",
    "passport",
    "resident_id",
    "uscc",
]

# Real district codes: Beijing Chaoyang, Shanghai Pudong, Shenzhen Nanshan, Chengdu Wuhou,
# Beijing Dongcheng, Guangzhou Tianhe, Hangzhou Xihu, Wuhan Jiang'an, Nanjing Xuanwu,
# Xi'an Yanta, Fuzhou Gulou, Tianjin Heping.
AREA_CODES = (
    "110105", "310115", "440305", "510107", "110101", "440106",
    "330106", "420102", "320102", "610113", "350102", "120101",
)
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁"
             "谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程")
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国文辉鹏婷雪琳晨宇浩然子轩欣怡"
_PINYIN = ("wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu",
           "sun", "ma", "zhu", "hu", "guo", "lin", "luo", "wei", "fang", "min", "jing", "qiang")
_MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "139.com",
                 "gmail.com", "outlook.com", "icbc.com.cn", "ccb.com")
# Second and third digits of live mainland mobile prefixes (13x, 15x, 18x, ...).
_MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "147",
                    "150", "151", "152", "153", "155", "156", "157", "158", "159", "166",
                    "173", "176", "177", "178", "180", "181", "182", "183", "185", "186",
                    "187", "188", "189", "191", "198", "199")
# UnionPay debit BINs of large Chinese banks (ICBC, ABC, CCB, BOC, CMB, BoCom).
_UNIONPAY_BINS = ("622202", "621226", "622848", "621700", "621661", "621483", "622588",
                  "622262")
_USCC_KINDS = ("91", "91", "91", "91", "92", "93", "11", "12", "51", "52", "53", "Y1")
_ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_PASSPORT_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def resident_id(rng: random.Random, birth: _dt.date | None = None) -> str:
    """A valid 18-character resident ID; ``birth`` defaults to a date in 1940-2005."""
    if birth is None:
        start = _dt.date(1940, 1, 1)
        birth = start + _dt.timedelta(days=rng.randrange((_dt.date(2005, 12, 31) - start).days))
    body = f"{rng.choice(AREA_CODES)}{birth:%Y%m%d}{rng.randrange(1, 1000):03d}"
    return body + resident_id_check_char(body)


def invalid_resident_id(rng: random.Random) -> str:
    """A resident ID with the right shape and date but a wrong check character."""
    good = resident_id(rng)
    return good[:17] + rng.choice([c for c in "0123456789X" if c != good[17]])


def bank_card(rng: random.Random) -> str:
    """A Luhn-valid UnionPay debit card number of 16 or 19 digits."""
    length = rng.choice((16, 19))
    body = rng.choice(_UNIONPAY_BINS) + _digits(rng, length - 7)
    return body + luhn_check_digit(body)


def invalid_bank_card(rng: random.Random) -> str:
    """A UnionPay card number with a wrong Luhn check digit."""
    good = bank_card(rng)
    return good[:-1] + rng.choice([c for c in "0123456789" if c != good[-1]])


def mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number without separators or prefix."""
    return rng.choice(_MOBILE_PREFIXES) + _digits(rng, 8)


def chinese_name(rng: random.Random) -> str:
    """A common surname followed by a one- or two-character given name."""
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def email(rng: random.Random) -> str:
    """A plausible personal e-mail address such as ``zhang.wei88@163.com``."""
    local = rng.choice(_PINYIN) + rng.choice(("", ".", "_")) + rng.choice(_PINYIN)
    if rng.random() < 0.6:
        local += str(rng.randrange(1, 2000))
    return f"{local}@{rng.choice(_MAIL_DOMAINS)}"


def _org_code(rng: random.Random) -> str:
    # GB 11714 organisation code: 8 characters and a mod-11 check, embedded in a USCC.
    body = "".join(rng.choice(_ORG_CHARS if i == 0 else "0123456789") for i in range(8))
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def uscc(rng: random.Random) -> str:
    """A valid unified social credit code, mostly of ordinary enterprises (``91``)."""
    body = rng.choice(_USCC_KINDS) + rng.choice(AREA_CODES) + _org_code(rng)
    return body + uscc_check_char(body)


def passport(rng: random.Random) -> str:
    """A Chinese ordinary passport number, ``E`` + 8 digits or ``E`` + letter + 7 digits."""
    if rng.random() < 0.5:
        return "E" + _digits(rng, 8)
    return "E" + rng.choice(_PASSPORT_LETTERS) + _digits(rng, 7)


def customer_rows(rng: random.Random, n: int) -> Iterator[dict[str, str]]:
    """Yield ``n`` customer records with valid identifiers and a 2-decimal balance string."""
    for _ in range(n):
        cents = rng.randrange(0, 100_000_000)
        yield {
            "name": chinese_name(rng),
            "id_number": resident_id(rng),
            "mobile": mobile(rng),
            "card_number": bank_card(rng),
            "email": email(rng),
            "balance": f"{cents // 100}.{cents % 100:02d}",
        }


def _messy(rng: random.Random, good: str, bad: str) -> str | None:
    """``good`` mostly; now and then a near-miss, a blank, a padded value or nothing."""
    roll = rng.random()
    if roll < 0.80:
        return good
    if roll < 0.88:
        return bad
    if roll < 0.92:
        return rng.choice(("", " ", "\u3000", "n/a"))
    if roll < 0.96:
        return f" {good}\t"
    return None


def customer_records(rng: random.Random, n: int) -> Iterator[dict[str, str | None]]:
    """Yield ``n`` customer records as a bank's tables hold them: mostly valid identifiers,
    with near-misses, blanks, padded values and missing values mixed in (and an identifier
    now and then in a free-text ``note``), for comparing whole tables with one-by-one
    classification."""
    for row in customer_rows(rng, n):
        phone = row["mobile"]
        grouped = f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
        yield {
            "name": _messy(rng, row["name"], row["name"][:1] + "*"),
            "id_number": _messy(rng, row["id_number"], invalid_resident_id(rng)),
            "mobile": _messy(rng, phone if rng.random() < 0.7 else grouped, phone[:10]),
            "card_number": _messy(rng, row["card_number"], invalid_bank_card(rng)),
            "email": _messy(rng, row["email"], row["email"].replace("@", "#")),
            "balance": _messy(rng, row["balance"], "-"),
            "note": rng.choice(("", "VIP", "回访", row["id_number"], passport(rng),
                                uscc(rng), None)),
        }
