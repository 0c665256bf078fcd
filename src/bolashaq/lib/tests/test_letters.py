# Kazakh and Russian sample letters are Cyrillic by design.

from __future__ import annotations

from datetime import date

import pytest

from bolashaq.lib.letters import (
    MESSAGES,
    check_motivation_letter,
    count_words,
    detect_language,
    extract_pdf_text,
    find_date,
)
from bolashaq.lib.tests import corpus

KK_BODY = """Құрметті конкурстық комиссия мүшелері!

Мен, Ахметова Әйгерім Нұрланқызы, Алматы облысы Қонаев қаласындағы аудандық ауруханада
жеті жыл бойы дәрігер-кардиолог болып жұмыс істеймін. Соңғы жылдары жүрек-қан тамырлары
ауруларының алдын алу бағдарламасын енгізуге қатыстым және ауылдық жерлердегі емделушілерге
кеңес беру жүйесін ұйымдастырдым.

«Болашақ» бағдарламасы бойынша Сеул ұлттық университетінің клиникасында тағылымдамадан өтіп,
инвазивті кардиологияның заманауи әдістерін меңгергім келеді. Алған білімімді облыстық
кардиологиялық орталықта қолданып, әріптестеріме үйретуге дайынмын. Тағылымдамадан кейін
кемінде үш жыл Қазақстанда жұмыс істеу міндетімді толық түсінемін.

Маған көрсетілген сенім үшін алдын ала алғыс айтамын."""

RU_BODY = """Уважаемые члены конкурсной комиссии!

Меня зовут Иван Сергеевич Петров, я инженер-технолог АО «Павлодарский нефтехимический
завод», стаж работы по специальности составляет шесть лет, из них последние три года я
руковожу участком каталитического риформинга. За это время я внедрил систему мониторинга
энергопотребления, которая снизила затраты предприятия на 8 процентов.

Стажировка в Техническом университете Мюнхена по программе «Болашак» позволит мне изучить
современные методы цифрового моделирования технологических процессов. После возвращения я
планирую применить эти знания при модернизации установок завода и подготовить внутренний
курс для молодых специалистов. Я осознаю обязательство отработать не менее трёх лет в
Республике Казахстан и готов его выполнить."""


def test_realistic_kazakh_letter() -> None:
    text = KK_BODY + "\n\nҚұрметпен,\n2026 жылғы 15 наурыз\nҚолы: ____________ Ахметова Ә.Н.\n"
    result = check_motivation_letter(text)
    assert result.language == "kk"
    assert result.ends_with_date
    assert result.ends_with_signature
    assert result.ok, result.problems
    assert 80 < result.word_count < 150


def test_realistic_russian_letter() -> None:
    text = RU_BODY + "\n\n«15» марта 2026 г.\n\n_______________ /Петров И.С./\n"
    result = check_motivation_letter(text)
    assert result.language == "ru"
    assert result.ok, result.problems


def test_russian_letter_with_kazakh_names_stays_russian() -> None:
    text = RU_BODY + "\nВыпускник Қазақ ұлттық университеті имени әл-Фараби.\n"
    assert detect_language(text) == "ru"


def test_english_letter_is_other() -> None:
    text = (
        "Dear members of the committee, I would like to apply for the internship.\n"
        "15.03.2026\nSigned: J. Smith"
    )
    result = check_motivation_letter(text)
    assert result.language == "other"
    assert result.problems == ("wrong_language",)


def test_unsigned_and_undated() -> None:
    result = check_motivation_letter(RU_BODY)
    assert result.problems == ("no_date", "no_signature")
    assert not result.ends_with_date
    assert not result.ends_with_signature


def test_unfilled_template_is_not_a_date() -> None:
    text = RU_BODY + "\n«__» ____________ 20__ г.\nПодпись ____________\n"
    result = check_motivation_letter(text)
    assert result.problems == ("no_date",)


def test_date_in_the_first_line_only_does_not_count() -> None:
    text = "15.03.2026\n" + RU_BODY + "\nС уважением, Петров И.С."
    result = check_motivation_letter(text)
    assert result.problems == ("no_date",)
    assert result.ends_with_signature


def test_too_long() -> None:
    text = ("слово " * 501) + "\n15.03.2026\nПетров И.С."
    result = check_motivation_letter(text)
    assert result.word_count == 504
    assert result.problems == ("too_long",)
    assert "500" in result.messages("ru")[0]
    assert "504" in result.messages("en")[0]
    assert check_motivation_letter(text, max_words=600).ok


def test_empty() -> None:
    assert check_motivation_letter("  \n\t ").problems == ("empty",)


def test_word_count_ignores_lone_dashes() -> None:
    assert count_words("Я — инженер - технолог, 2026 год.") == 5


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("15.03.2026", date(2026, 3, 15)),
        ("Дата: 5/3/2026", date(2026, 3, 5)),
        ("2026-03-15", date(2026, 3, 15)),
        ("15 марта 2026 г.", date(2026, 3, 15)),
        ("«1» мая 2026 года", date(2026, 5, 1)),
        ("«15» наурыз 2026 ж.", date(2026, 3, 15)),
        ("2026 жылғы 15 наурыз", date(2026, 3, 15)),
        ("2026 ж. 3 желтоқсан", date(2026, 12, 3)),
        ("15 қыркүйек 2026", date(2026, 9, 15)),
        ("31.02.2026", None),
        ("«__» ______ 20__", None),
        ("тел. 8 701 123 45 67", None),
    ],
)
def test_find_date(line: str, expected: date | None) -> None:
    assert find_date(line) == expected


@pytest.mark.parametrize(
    "ending",
    [
        "Подпись: __________",
        "Қолы ________",
        "/Ахметова Ә.Н./",
        "А.Н. Ахметова",
        "Ахметова Ә.Н.",
        "______________ Петров Иван",
        "______________\nПетров Иван Сергеевич",
    ],
)
def test_signature_forms(ending: str) -> None:
    text = RU_BODY + "\n15.03.2026\n" + ending
    assert check_motivation_letter(text).ends_with_signature


def test_a_bare_underscore_line_is_not_a_signature() -> None:
    text = RU_BODY + "\n15.03.2026\n______________"
    assert not check_motivation_letter(text).ends_with_signature


def test_messages_exist_in_three_languages() -> None:
    for texts in MESSAGES.values():
        assert set(texts) == {"kk", "ru", "en"}
    result = check_motivation_letter(RU_BODY)
    assert len(result.messages("kk")) == 2


def test_extract_pdf_text_latin() -> None:
    text = extract_pdf_text(corpus.text_pdf(["Dear committee,", "15.03.2026", "J. Smith"]))
    assert text is not None
    assert "15.03.2026" in text


def test_extract_pdf_text_cyrillic_then_check() -> None:
    lines = ["Құрметті комиссия!", "Мен тағылымдамадан өтуді қалаймын.", "15.03.2026",
             "Қолы: Ахметова Ә.Н."]  # fmt: skip
    text = extract_pdf_text(corpus.cyrillic_pdf(lines))
    assert text is not None
    assert "Қолы" in text
    result = check_motivation_letter(text)
    assert result.language == "kk"
    assert result.ends_with_date
    assert result.ends_with_signature


def test_scanned_letter_has_no_text_layer() -> None:
    assert extract_pdf_text(corpus.image_only_pdf()) is None


def test_broken_or_encrypted_pdf_gives_none() -> None:
    assert extract_pdf_text(corpus.truncated_pdf()) is None
    assert extract_pdf_text(b"not a pdf") is None
    assert extract_pdf_text(corpus.encrypted_pdf()) is None
