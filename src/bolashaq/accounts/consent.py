"""The consent to personal-data processing that applicants accept when they register.

The text is a legal statement, so it is kept here word for word in all three languages rather
than in the translation catalogues: a catalogue edit must never change what someone agreed to.
Any change to any language is a new version with a new id; old versions stay so that every
``Consent`` row can be read back with the exact text accepted (its SHA-256 is stored too).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ConsentText:
    version: str
    effective: date
    # language code -> (title, paragraphs)
    texts: dict[str, tuple[str, tuple[str, ...]]]

    def title(self, language: str) -> str:
        return self._pick(language)[0]

    def paragraphs(self, language: str) -> tuple[str, ...]:
        return self._pick(language)[1]

    def sha256(self, language: str) -> str:
        """The hash of exactly what was shown in ``language`` (title and paragraphs)."""
        title, paragraphs = self._pick(language)
        return hashlib.sha256("\n\n".join((title, *paragraphs)).encode("utf-8")).hexdigest()

    def language_shown(self, language: str) -> str:
        return language if language in self.texts else "kk"

    def _pick(self, language: str) -> tuple[str, tuple[str, ...]]:
        return self.texts[self.language_shown(language)]


CONSENT_2026_01 = ConsentText(
    version="2026-01",
    effective=date(2026, 1, 1),
    texts={
        "kk": (
            "Дербес деректерді жинауға және өңдеуге келісім",
            (
                "Мен «Халықаралық бағдарламалар орталығы» АҚ-ға (ХБО) менің дербес "
                "деректерімді (ЖСН, тегі, аты, әкесінің аты, туған күні, телефон нөмірі, "
                "электрондық пошта мекенжайы, сондай-ақ өтінімдерімде ұсынатын мәліметтер мен "
                "құжаттар) жинауға және өңдеуге келісім беремін.",
                "Мақсаты: «Болашақ» халықаралық стипендиясын тағайындау конкурсын өткізу — мені "
                "тіркеу, талаптарға сәйкестігімді тексеру, өтінімдерімді қарау, олар бойынша "
                "менімен байланысу және ХБО-ның заңда белгіленген міндеттерін орындау.",
                "Менің деректерім Қазақстан Республикасының аумағында орналасқан дерекқорларда "
                "осы мақсатқа қажетті мерзім ішінде ғана сақталады. Олар тек конкурс рәсімдеріне "
                "қатысушыларға (Қазақстан Республикасы Ғылым және жоғары білім министрлігіне, "
                "Тәуелсіз сараптама комиссиясына — иесіздендірілген түрде, Шетелде кадрлар "
                "даярлау жөніндегі республикалық комиссияға), ал өзге тұлғаларға заңда "
                "көзделген жағдайларда ғана беріледі.",
                "Мен бұл келісімді ХБО-ға жазбаша өтініш беру арқылы кері қайтарып ала аламын, "
                "заң деректерді сақтауды талап ететін жағдайларды қоспағанда. Келісім «Дербес "
                "деректер және оларды қорғау туралы» 2013 жылғы 21 мамырдағы № 94-V Қазақстан "
                "Республикасының Заңына сәйкес беріледі.",
            ),
        ),
        "ru": (
            "Согласие на сбор и обработку персональных данных",
            (
                "Я даю согласие АО «Центр международных программ» (ЦМП) на сбор и обработку моих "
                "персональных данных: ИИН, фамилии, имени и отчества, даты рождения, номера "
                "телефона и адреса электронной почты, а также сведений и документов, которые я "
                "представляю в своих заявках.",
                "Цель: проведение конкурса на присуждение международной стипендии «Болашак» — моя "
                "регистрация, проверка соответствия требованиям, рассмотрение моих заявок, связь "
                "со мной по ним и исполнение обязанностей ЦМП, установленных законом.",
                "Мои данные хранятся в базах данных, расположенных на территории Республики "
                "Казахстан, и только в течение срока, необходимого для этой цели. Они передаются "
                "только участникам конкурсных процедур (Министерству науки и высшего образования "
                "Республики Казахстан, Независимой экспертной комиссии — в обезличенном виде, "
                "Республиканской комиссии по подготовке кадров за рубежом), а иным лицам — только "
                "в случаях, предусмотренных законом.",
                "Я могу отозвать это согласие, письменно обратившись в ЦМП, кроме случаев, когда "
                "закон требует хранить данные. Согласие дано в соответствии с Законом Республики "
                "Казахстан от 21 мая 2013 года № 94-V «О персональных данных и их защите».",
            ),
        ),
        "en": (
            "Consent to the collection and processing of personal data",
            (
                "I consent to JSC “Center for International Programs” (CIP) collecting and "
                "processing my personal data: my IIN, surname, first name and patronymic, date of "
                "birth, phone number and e-mail address, and the information and documents I "
                "provide in my applications.",
                "Purpose: to run the competition for the international “Bolashak” scholarship — "
                "to register me, to check that I meet the requirements, to consider my "
                "applications, to contact me about them, and to meet CIP’s obligations under "
                "the law.",
                "My data is stored in databases located in the Republic of Kazakhstan and kept "
                "only as long as this purpose requires. It is passed only to those who take part "
                "in the competition procedures (the Ministry of Science and Higher Education of "
                "the Republic of Kazakhstan; the Independent Expert Commission, in anonymised "
                "form; the Republican Commission for Training Abroad), and to others only where "
                "the law requires.",
                "I may withdraw this consent by writing to CIP, except where the law requires the "
                "data to be kept. This consent is given under the Law of the Republic of "
                "Kazakhstan of 21 May 2013 No. 94-V “On personal data and their protection”.",
            ),
        ),
    },
)

# Every version ever shown, by id; CURRENT is what registration shows and records now.
CONSENT_TEXTS: dict[str, ConsentText] = {CONSENT_2026_01.version: CONSENT_2026_01}
CURRENT_CONSENT = CONSENT_2026_01
