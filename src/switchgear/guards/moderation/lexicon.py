"""A curated multilingual lexicon (en, es, fr, de, it, pt, nl) for the local moderator.

Each entry is (category, weight, pattern). Patterns are whole-word, case-insensitive. Weights are
the probability that one match alone means the category applies; several matches combine as
independent evidence. Child-safety terms combine a sexual term with a minor term nearby.
"""

from __future__ import annotations

import re

# fmt: off
# Words that are sexual only in some contexts: one alone stays under the flag threshold.
SEXUAL_WEAK = [r"nude?s?", r"naked", r"desnud[oa]s?", r"nackt\w*", r"nud[oaie]", r"naakt"]
SEXUAL = [
    r"porn\w*", r"pornogr\w+", r"xxx", r"photos? nues?", r"blow ?jobs?", r"hand ?jobs?",
    r"orgasm\w*",
    r"orgasmo\w*", r"masturbat\w+", r"masturb\w+", r"dick", r"cock", r"pussy", r"tits",
    r"boobs", r"cum(?:shot)?", r"horny", r"cachond[oa]", r"excitad[oa] sexualmente",
    r"sexo oral", r"sexe oral", r"oralsex", r"sesso orale", r"fuck(?:ing)? (?:me|her|him)",
    r"follar", r"baiser", r"ficken", r"scopare", r"foder", r"neuken", r"sexting", r"sexy pics?",
    r"send (?:me )?(?:nudes|pics of your body)", r"(?:have|having) sex", r"hacer el amor",
    r"faire l'amour", r"sex haben", r"fare sesso", r"fazer sexo", r"seks hebben",
    r"sexual(?:ly)? explicit", r"erotic\w*", r"erótic\w*", r"érotique", r"erotisch\w*",
    r"erotic[oa]", r"onlyfans", r"strip ?tease", r"escort service",
]
MINOR = [
    r"child(?:ren)?", r"kids?", r"minors?", r"underage", r"under ?age", r"teen(?:ager)?s?",
    r"(?:1[0-7]|[5-9]) ?(?:yo|y/o|years? old|año?s|ans|jahre? alt|anni|anos|jaar)",
    r"little (?:girl|boy)s?", r"young (?:girl|boy)s?", r"school ?(?:girl|boy)s?", r"preteens?",
    r"niñ[oa]s?", r"menor(?:es)? de edad", r"menores", r"enfant\w*", r"mineur\w*", r"gamin\w*",
    r"kindern", r"minderjährig\w*", r"jugendlich\w*", r"bambin[oi]", r"bambin[ae]",
    r"minorenn[ei]", r"ragazzin[oaie]", r"crianças?", r"menor(?:es)?", r"kinderen",
    r"minderjarig\w*", r"meisje", r"jongetje", r"loli\w*", r"shota\w*", r"jailbait",
    r"pedo\w*", r"pädo\w*", r"pedofil\w*",
]
GROOMING = [
    r"(?:don'?t|do not) tell (?:your )?(?:mom|mum|dad|parents|anyone)",
    r"our (?:little )?secret", r"nuestro secreto", r"notre (?:petit )?secret",
    r"unser (?:kleines )?geheimnis", r"il nostro segreto", r"nosso segredo", r"ons geheimpje",
    r"no se lo digas a (?:tus padres|nadie)", r"ne le dis (?:pas )?à (?:personne|tes parents)",
    r"sag es (?:niemandem|deinen eltern nicht)", r"non dirlo a (?:nessuno|i tuoi genitori)",
    r"não contes? a ninguém", r"vertel het niemand",
    r"send (?:me )?(?:a )?(?:pic|photo|picture)s? of (?:you|yourself)",
    r"how old are you\b.{0,40}\b(?:alone|parents|meet)", r"are you alone",
    r"delete (?:our|these|the) (?:messages|chat)", r"meet (?:up )?(?:in person|irl) without",
]
# Unambiguous sexual terms: only these combine with a minor term into sexual/minors.
SEXUAL_STRONG = [w for w in SEXUAL if w not in (r"erotic\w*", r"erótic\w*", r"érotique",
                 r"erotisch\w*", r"erotic[oa]", r"strip ?tease")] + [
    r"send (?:me )?(?:your )?nudes", r"naked (?:pics?|photos?|pictures?|selfies?)",
    r"sexual (?:photos?|pics?|acts?|contact|favou?rs?)", r"nacktbilder", r"fotos? desnud[oa]s?",
]
CSAM = [r"csam", r"child porn\w*", r"kiddie porn", r"cp links?", r"pornografía infantil",
        r"pédopornograph\w+", r"kinderporn\w*", r"pedopornograf\w+", r"pornografia infantil",
        r"kinderpornografie"]
HATE = [
    r"(?:all|those|these|the) (?:jews|muslims|blacks|gays|immigrants|arabs|gypsies|mexicans)"
    r" (?:are|should|must) \w+",
    r"subhumans?", r"untermensch\w*", r"vermin", r"infrahumanos?", r"sous-hommes?",
    r"nigg(?:er|a)s?", r"kikes?", r"spics?", r"chinks?", r"faggots?", r"trann(?:y|ies)",
    r"sudacas?", r"maricón\w*", r"bougnoules?", r"youpins?", r"kanake\w*", r"schwuchtel\w*",
    r"negri?", r"froci[oi]", r"terroni", r"macacos?", r"bichas?", r"kankerjoden",
    r"white (?:power|supremacy)", r"heil hitler", r"sieg heil", r"gas the \w+",
    r"(?:race|raza|race|rasse|razza|raça|ras) (?:inferior|inférieure|minderwertig\w*|inferiore)",
]
HATE_THREAT = [r"(?:kill|exterminate|gas|lynch|shoot) (?:all |every )?(?:the |those )?"
               r"(?:jews|muslims|blacks|gays|immigrants|arabs|christians|women)",
               r"ethnic cleansing",
               r"final solution", r"limpieza étnica", r"épuration ethnique", r"säuberung"]
HARASS = [
    r"you(?:'re| are) (?:a |an |so )?(?:stupid|idiot|moron|worthless|pathetic|ugly|loser|"
    r"retard(?:ed)?|whore|slut|bitch)", r"idiot(?:a|e)?", r"imbécil\w*", r"connard\w*",
    r"salope", r"pute", r"arschloch", r"hurensohn", r"schlampe", r"stronz[oa]", r"puttana",
    r"cretin[oa]", r"idiota", r"vadia", r"filho da puta", r"hijo de puta", r"puta",
    r"klootzak", r"kut(?:wijf)?", r"hoer", r"shut up,? (?:bitch|loser)", r"kill yourself",
    r"kys", r"nobody (?:likes|loves) you", r"go die", r"bitch", r"slut", r"whore", r"retard",
    r"cunt", r"motherfucker", r"asshole", r"dumbass",
]
HARASS_THREAT = [
    r"i(?:'ll| will| am going to|'m going to|'m gonna| gonna) (?:kill|hurt|find|stab|shoot|"
    r"rape|beat) you", r"(?:te|je vais te|ich werde dich|ti|vou te|ik ga je) (?:voy a )?"
    r"(?:matar|tuer|töten|umbringen|ammazzo|ammazzare|uccidere|matar|vermoorden)",
    r"te voy a matar", r"je vais te tuer", r"ich bring dich um", r"ti ammazzo", r"vou te matar",
    r"ik maak je af", r"i know where you live", r"sé dónde vives", r"je sais où tu habites",
    r"ich weiß,? wo du wohnst", r"so dove abiti", r"sei onde moras", r"ik weet waar je woont",
    r"watch your back", r"you(?:'re| are) dead",
]
SELF_HARM = [
    r"suicid\w*", r"self[- ]harm\w*", r"cut(?:ting)? myself", r"hurt(?:ing)? myself",
    r"kill(?:ing)? myself", r"end(?:ing)? my life", r"take my (?:own )?life",
    r"want to die", r"wanna die", r"quiero morir(?:me)?", r"suicidarme", r"matarme",
    r"autolesi\w+", r"me suicider", r"me tuer", r"en finir", r"envie de mourir",
    r"selbstmord\w*", r"mich umbringen", r"sterben will", r"selbstverletz\w*", r"ritzen",
    r"uccidermi", r"farla finita", r"voglio morire", r"autolesionism\w*", r"me matar",
    r"quero morrer", r"automutila\w+", r"zelfmoord\w*", r"mezelf (?:doden|snijden)",
    r"dood willen", r"wil dood",
]
SELF_HARM_INTENT = [
    r"i (?:want|plan|am going|'m going) to (?:kill myself|end (?:it|my life)|die)",
    r"(?:tonight|today|tomorrow) i(?:'ll| will) (?:kill myself|end it)", r"wanna die",
    r"i (?:don't|do not) want to (?:live|be alive)", r"quiero morir", r"voy a suicidarme",
    r"je veux mourir", r"je vais me suicider", r"ich will (?:sterben|mich umbringen)",
    r"voglio morire", r"mi voglio uccidere", r"quero morrer", r"vou me matar",
    r"ik wil dood", r"ik ga zelfmoord plegen", r"want to die",
]
SELF_HARM_INSTR = [
    r"how (?:to|do i|can i) (?:kill myself|commit suicide|cut myself|overdose)",
    r"(?:best|painless|easiest) (?:way|method)s? (?:to|of) (?:die|suicide|kill myself)",
    r"how many (?:pills|tablets)\b.{0,30}\b(?:die|overdose|lethal|kill)",
    r"lethal dose", r"dosis letal", r"dose (?:mortelle|letale|letal)", r"tödliche dosis",
    r"cómo suicidarme", r"comment se suicider", r"wie bringe ich mich um", r"come suicidarsi",
    r"como me matar", r"hoe pleeg ik zelfmoord",
]
VIOLENCE = [
    r"kill(?:ed|ing|s)? (?:him|her|them|people|everyone|my \w+)", r"murder\w*", r"stab\w*",
    r"shoot(?:ing)? (?:him|her|them|up|people)", r"beat (?:him|her|them) up", r"massacre\w*",
    r"behead\w*", r"torture\w*", r"bomb(?:ing)? (?:the|a) \w+", r"asesin\w+", r"apuñal\w+",
    r"matar(?:lo|la|los|las)", r"masacre", r"tortur\w+", r"assassin\w*", r"poignard\w+",
    r"tuer (?:tout le monde|les|le|la)", r"ermorden", r"umbringen", r"erstechen", r"erschießen",
    r"ammazzar\w*", r"uccider\w*", r"accoltell\w+", r"massacr\w+", r"esfaquear", r"vermoord\w*",
    r"neersteken", r"doodschieten", r"mass shooting", r"school shooting", r"terror attack",
]
VIOLENCE_GRAPHIC = [
    r"gore", r"dismember\w*", r"disembowel\w*", r"entrails", r"guts spilled", r"blood everywhere",
    r"mutilat\w+", r"desmembr\w+", r"démembr\w+", r"zerstückel\w*", r"smembr\w+",
    r"skull (?:crushed|smashed)", r"brains? (?:splattered|blown out)",
]
ILLICIT = [
    r"how (?:to|do i|can i) (?:make|cook|synthesi[sz]e|buy) (?:meth|cocaine|heroin|fentanyl|lsd|"
    r"mdma|crack)", r"(?:buy|sell|order) (?:drugs|cocaine|heroin|meth|fentanyl|weed) online",
    r"launder(?:ing)? money", r"money laundering", r"blanque(?:o|ar) de (?:dinero|capitales)",
    r"blanchiment d'argent", r"geldwäsche", r"riciclaggio di denaro", r"lavagem de dinheiro",
    r"witwassen", r"steal (?:a|someone's) (?:car|identity|credit card)", r"credit card fraud",
    r"phishing (?:kit|page|email)", r"ransomware", r"keylogger", r"carding",
    r"fake (?:id|passport)s?",
    r"counterfeit (?:money|bills)", r"hack (?:into|someone's) \w+", r"bypass (?:the )?paywall",
    r"pick a lock", r"hotwire a car", r"shoplift\w*", r"evade taxes", r"tax evasion",
]
ILLICIT_VIOLENT = [
    r"(?:make|build|assemble) (?:a |an )?(?:bomb|pipe bomb|explosive|ied|molotov|nerve agent|"
    r"bioweapon|ghost gun)", r"(?:fabricar|hacer) una bomba", r"fabriquer une bombe",
    r"bombe bauen", r"costruire una bomba", r"fazer uma bomba", r"bom maken",
    r"hire a hitman", r"contratar un sicario", r"(?:buy|get) (?:a )?(?:gun|firearm) without",
    r"sarin", r"ricin", r"anthrax spores", r"3d[- ]printed gun",
]
# fmt: on

LEXICON: list[tuple[str, float, list[str]]] = [
    ("sexual", 0.7, SEXUAL),
    ("sexual", 0.4, SEXUAL_WEAK),
    ("sexual/minors", 0.97, CSAM),
    ("sexual/minors", 0.6, GROOMING),
    ("hate", 0.75, HATE),
    ("hate/threatening", 0.85, HATE_THREAT),
    ("harassment", 0.6, HARASS),
    ("harassment/threatening", 0.8, HARASS_THREAT),
    ("self-harm", 0.65, SELF_HARM),
    ("self-harm/intent", 0.85, SELF_HARM_INTENT),
    ("self-harm/instructions", 0.9, SELF_HARM_INSTR),
    ("violence", 0.6, VIOLENCE),
    ("violence/graphic", 0.7, VIOLENCE_GRAPHIC),
    ("illicit", 0.7, ILLICIT),
    ("illicit/violent", 0.85, ILLICIT_VIOLENT),
]

# An age under 18 in any of the classifier's languages ("12-year-old", "12 años", "12歳",
# "12-летний", "she's only 11"): a minor is mentioned even without a word for child.
MINOR_AGE = re.compile(
    r"(?<!\d)(?:1[0-7]|[1-9])(?:\s?-?\s?(?:years?[- ]?old|yrs?[- ]?old|yo\b|y/o|años|anos|ans\b"
    r"|jahre?\b|anni\b|jaar\b|歳|才|岁|살|лет\w*|года?\b|-?летн\w*|साल))"
    r"|\b(?:only|just|barely)\s(?:1[0-7]|[1-9])\b"
    r"|\b(?:she|he|sie|er|elle|il|ella|él|lei|lui|ela|ele|zij|hij)(?:'s|\s(?:is|ist|est|a|tiene"
    r"|ha|tem|heeft))\s(?:only\s)?(?:1[0-7]|[1-9])\b",
    re.IGNORECASE,
)
