"""Word lists and sentence templates for the synthetic fieldnote corpus (bench/corpus.py).

The notes imitate ethnographic fieldnotes from a study of families in which parents use
drugs, and of the professionals around them (Scotland and England). Every name is
invented. ``{slot}`` marks are filled by :mod:`bench.corpus`: ``{P}`` is the encounter's
main participant, ``{P2}`` another person present, ``{prof}`` a professional, ``{child}``
a child, ``{quote}`` something a parent said, ``{time}`` a clock time; the other slots
draw from :data:`SLOTS`.
"""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = (
    "Lara", "Kayleigh", "Shona", "Morag", "Ailsa", "Kirsty", "Leanne", "Gemma", "Stacey",
    "Donna", "Nicola", "Jodie", "Amber", "Chantelle", "Siobhan", "Roisin", "Tammy", "Carly",
    "Hayley", "Demi", "Paige", "Toni", "Mhairi", "Eilidh", "Fiona", "Lorraine", "Tracy",
    "Michelle", "Natalie", "Jade", "Kerry", "Rhona", "Iona", "Jenna", "Skye", "Zara",
    "Aisha", "Bethany", "Chloe", "Danielle", "Erin", "Faye", "Holly", "Imogen", "Joanne",
    "Darren", "Craig", "Stevie", "Gary", "Jamie", "Scott", "Kieran", "Connor", "Ross",
    "Callum", "Liam", "Shaun", "Dean", "Wayne", "Barry", "Graham", "Euan", "Fraser",
    "Gordon", "Hamish", "Iain", "Kenny", "Lewis", "Malky", "Neil", "Robbie", "Sandy",
    "Tam", "Brian", "Davie", "Marc", "Ryan", "Lee", "Jordan", "Kyle", "Aaron", "Declan",
    "Paddy", "Rab", "Wullie", "Archie", "Frankie", "Billy", "Jackie", "Alex", "Charlie",
    "Sam", "Robin", "Jess", "Morven", "Catriona", "Annie", "Sadie", "Ruby", "Elsie",
)  # fmt: skip

CHILD_NAMES: tuple[str, ...] = (
    "Ava", "Millie", "Isla", "Olivia", "Freya", "Lily", "Harris", "Lewis", "Mason", "Alfie",
    "Rory", "Orla", "Cody", "Brooklyn", "Kacey", "Logan", "Ellie", "Finlay", "Maisie", "Josh",
)  # fmt: skip

PARENT_ROLES: tuple[str, ...] = ("Mother", "Father", "Mother", "Mother", "Father")
FAMILY_ROLES: tuple[str, ...] = (
    "Grandmother", "Kinship Carer", "Aunt", "Partner", "Grandfather", "Older Sister",
)  # fmt: skip
PROFESSIONAL_ROLES: tuple[str, ...] = (
    "Health Visitor", "Social Worker", "Substance Use Nurse",
    "Third Sector Family Support Worker", "Keyworker", "Community Pharmacist", "GP",
    "Specialist Midwife", "Nursery Practitioner", "Children's Reporter", "Foster Carer",
    "Team Manager", "Peer Support Worker", "Psychiatrist",
)  # fmt: skip
REGIONS: tuple[str, ...] = ("Scotland",) * 7 + ("England",) * 3

# How a professional appears in a note (lower case, as a researcher writes).
PROF_MENTIONS: tuple[str, ...] = (
    "the Health Visitor", "the social worker", "her social worker", "the new social worker",
    "the substance use nurse", "the keyworker", "the family support worker",
    "the pharmacist", "the GP", "the midwife", "the nursery staff", "the Children's Reporter",
    "the team manager", "the foster carer", "the peer support worker", "the duty worker",
    "the recovery worker", "the school nurse", "the CAMHS worker", "the housing officer",
)  # fmt: skip

QUOTES: tuple[str, ...] = (
    "I didnae ken they were gonnae phone the social work",
    "Aye, the bairns come first, they always have",
    "See when the script's late, that's me rattling by dinnertime",
    "She's no taking them aff me, no again",
    "I've been clean eleven month, ken, and naebody believes it",
    "The Health Visitor's awright, she disnae judge ye",
    "They make ye pick up every day, like ye cannae be trusted wi a bottle",
    "I just want the wean hame",
    "My maw's got them the now, it's kinship care but it's still my weans",
    "Ye sit in that case conference and it's like they're talking aboot somebody else",
    "I cannae mind the last time I slept right through",
    "The pharmacy wouldnae gie me it cause I was five minutes late",
    "Relapse isnae the end, my keyworker says, it's part of it",
    "I'm on the methadone, 60 mil, and I'm no wanting to come aff it yet",
    "Nursery's been good wi him, they ken the score",
    "Contact's only two hours on a Saturday and they watch everything ye dae",
    "I was that nervous I nearly didnae go",
    "Ye ken what it's like, everybody's got an opinion aboot ye",
    "I'm no a bad mum, I'm a mum that uses, there's a difference",
    "They said if I dinnae engage they'll go for permanence",
    "He started asking where his daddy was and I didnae ken what to say",
    "The Buvidal's better, I dinnae have to go to the chemist every day",
    "My pal overdosed in the summer, that's what made me go back to the service",
    "I get my money on a Tuesday and it's gone by the Friday",
    "The bairns were greetin all night, I was up wi them till four",
    "I tellt the social worker the truth and look where it got me",
    "Recovery cafe on a Thursday, that's what keeps me going",
    "They wanted a hair strand test, six month of it",
    "I'm feart to say anything in case it goes in a report",
    "My gran brought me up, so I ken what kinship care's like fae the other side",
    "I've no touched anything since the wee one was born",
    "See the core group, it's just them ticking boxes",
    "I'd dae anything for they weans",
    "I missed one appointment and they put it in the minutes",
    "Naloxone kit's in the drawer, the nurse showed me how",
    "I cannae afford the bus to the contact centre",
    "It's the waiting that kills ye, waiting on letters",
    "I'm trying, I'm honestly trying",
    "Dinnae write that bit doon",
    "She's at the big school now and she's doing brilliant",
)  # fmt: skip

PROF_QUOTES: tuple[str, ...] = (
    "our worry is less the methadone than the chaos around the pick-ups",
    "she's engaging, but engagement isn't the same as change",
    "we need to see three months of negative tests before we talk about overnights",
    "the grandmother is holding that family together",
    "kinship placements get a fraction of the support foster carers get",
    "the threshold for registration is significant harm, not drug use as such",
    "I've got forty cases and two of them are like this every week",
    "nursery report he's thriving, attendance is good",
    "the script was reduced after the missed doses",
    "I'd rather she told me about a lapse than hid it",
    "we're recommending the children remain on the register",
    "the plan is supervised contact twice a week at the family centre",
    "the Health Visitor flagged the home conditions at the last visit",
    "we have to think about the baby's needs first",
    "she's been stable on buprenorphine since the spring",
    "the father isn't known to services, which is its own risk",
)  # fmt: skip

_DRUG: tuple[str, ...] = (
    "methadone", "methadone", "buprenorphine", "Buvidal", "Espranor", "OST", "heroin",
    "street benzos", "crack", "cannabis", "valium", "alcohol", "pregabalin",
)  # fmt: skip

_PLACE: tuple[str, ...] = (
    "the kitchen", "the living room", "the back green", "the play park", "the family centre",
    "the clinic waiting room", "the community pharmacy", "the contact centre",
    "the nursery gate", "the recovery cafe", "the bus stop", "the chemist on the main street",
    "the GP surgery", "the social work office", "the canal path", "the shopping centre",
    "the food bank", "the high flats",
)  # fmt: skip

_FEELING: tuple[str, ...] = (
    "anxious", "tired", "relieved", "angry", "tearful", "cheerful", "guarded", "flat",
    "hopeful", "distracted", "defensive", "warm", "exhausted", "proud", "wary",
)  # fmt: skip

_OBJECT: tuple[str, ...] = (
    "a pile of washing on the couch", "the telly on with the sound down",
    "a calendar from the chemist with appointments circled in red", "school photos on the wall",
    "a baby monitor on the arm of the chair", "a stack of letters from the council, unopened",
    "a dog barking in the hall", "a buggy folded by the door",
    "a naloxone kit on top of the fridge", "crayon drawings stuck to the fridge",
    "an ashtray on the windowsill", "a Universal Credit journal open on a phone",
    "a half-built Lego castle", "a bag of messages from the Co-op",
    "nappies and wipes on the table",
)  # fmt: skip

_TOPIC: tuple[str, ...] = (
    "the script", "the pharmacy", "contact visits", "the case conference", "kinship care",
    "nursery", "the Child Protection Register", "the Children's Hearing", "recovery", "relapse",
    "housing", "money", "the hair strand test", "the core group", "the court report",
    "supervised consumption", "take-home doses", "the new baby", "school", "her mum", "his dad",
    "the benefits sanction", "the recovery cafe",
)  # fmt: skip

_SERVICE: tuple[str, ...] = (
    "the drug and alcohol service", "social work", "the Health Visiting team",
    "the family support project", "the recovery community", "the maternity unit", "the nursery",
    "the homelessness service", "the Children's Reporter", "the specialist midwife team",
    "the third sector project", "the GP practice",
)  # fmt: skip

_WEATHER: tuple[str, ...] = (
    "It was raining", "It was dreich and cold", "The sun was out", "It was windy",
    "It had been snowing", "It was warm for once", "There was a haar over everything",
)  # fmt: skip

_DAY: tuple[str, ...] = (
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "yesterday",
    "last week", "the weekend",
)  # fmt: skip

SLOTS: dict[str, tuple[str, ...]] = {
    "drug": _DRUG,
    "place": _PLACE,
    "feeling": _FEELING,
    "object": _OBJECT,
    "topic": _TOPIC,
    "service": _SERVICE,
    "weather": _WEATHER,
    "day": _DAY,
}

# Sentences for expanded fieldnotes, memos and debriefs.
SENTENCES: tuple[str, ...] = (
    "I arrived at {time} and {P} let me in; {object} was the first thing I noticed.",
    "{weather}, so we stayed in {place} rather than going out.",
    "{P} seemed {feeling} today and kept checking her phone.",
    "We talked for a long time about {topic}.",
    '"{quote}," {P} said, looking at the floor.',
    '"{quote}," she told me, and then laughed.',
    '"{quote}." I wrote this down as close to verbatim as I could.',
    "{P} said {prof} had been round on {day} and it had not gone well.",
    "{P} picks up the {drug} script from the pharmacy every morning, supervised.",
    "The pharmacy had moved her to daily pick-ups after she missed two doses.",
    "{child} came in from nursery halfway through and climbed onto {P}'s knee.",
    "The bairns were playing in {place} while we talked.",
    "{P2} is now the kinship carer for {child} and {P} sees them at contact visits.",
    "Contact is supervised at the family centre, two hours, twice a week.",
    "{P} described the case conference as humiliating; {prof} had read out the minutes.",
    'At the case conference {prof} said: "{prof_quote}."',
    "{prof} told me that {prof_quote}.",
    "I was struck by how often {P} returned to {topic}.",
    "She has been on {drug} for six years and described it as what keeps her steady.",
    "He said he had relapsed in the spring after his brother died.",
    "The talk turned to recovery, and being 'in recovery' means with a social worker watching.",
    "{P} showed me the naloxone kit the substance use nurse had given her.",
    "We walked along {place} towards the shops, which made it easier to talk.",
    "On the walk {P} pointed out where she used to score, and where her pal had died.",
    "The phone line kept dropping, so some of what {P} said is missing from my notes.",
    "On the video call {P} had {child} on her knee for most of the interview.",
    "I felt uneasy when {P} asked me what I would write about her.",
    "Reflexive note: I am aware that my presence may be read as another professional checking up.",
    "{P} asked whether the research would go to social work; I went over the consent form again.",
    "I reminded {P} she could stop the recording at any time; she said she was fine.",
    "{P2} joined us later and talked about the money running out before payday.",
    "The Health Visitor had weighed the baby and was happy with the weight gain.",
    "The nursery had phoned about {child}'s attendance, which worried {P}.",
    "{P} said the worst part was not the drugs but the waiting for letters and decisions.",
    "There was a long silence after I asked about the Children's Hearing.",
    "The team meeting spent twenty minutes on one family and five minutes on the rest.",
    "{prof} described the threshold for the Child Protection Register to the group.",
    "In the focus group the parents talked over each other about {topic}.",
    "Several of them said the pharmacy was the place they felt most judged.",
    "In the debrief I noted my tiredness and how much of the day had been spent on buses.",
    "After the clinic visit I sat in the car for ten minutes before writing anything.",
    "The clinic was busy; the substance use nurse saw {P} for less than ten minutes.",
    "Dose reviewed at the clinic: stays at 60 ml methadone, with take-homes on Sundays.",
    "The supervised contact visit took place in a room with a two-way mirror.",
    "{child} did not want to leave at the end of contact and started greetin.",
    "{P} brought crisps and a colouring book for {child}, and they drew together.",
    "{P} talked about her own childhood and her mum's drinking, and about kinship care then.",
    'She said: "{quote}" and I did not know what to say back.',
    "We agreed to meet again in a fortnight, at {place} if the weather holds.",
    "Afterwards I thought about how {service} appears in every story, never quite helping.",
    "I need to check with the team how we describe {service} without identifying anyone.",
    "{P} mentioned {service} three times, each time with a different feeling.",
    "Nothing in the house suggested drug use; the kitchen was spotless.",
    "There was a strong smell of smoke and the curtains stayed shut the whole visit.",
    "{P} was late because the bus did not come; she apologised several times.",
    "We talked about what a good day looks like: school run, script, messages, tea.",
    "{P2} said the bairns were the reason {P} got up in the morning.",
    "{P} worried the school would find out about the methadone from the GP letter.",
    "Memo: the theme of surveillance keeps coming up, from pharmacy pick-ups to contact visits.",
    "Memo: compare how parents and professionals talk about 'engagement'.",
    "Memo: kinship care is talked about as both rescue and loss.",
    "Memo: recovery and relapse are framed very differently in the case conference minutes.",
    "I should follow up the mention of the hair strand test with the social worker interview.",
    "The staff interview ran over because {prof} wanted to talk about caseloads.",
    "{prof} said the service had lost two posts this year and the waiting list was growing.",
    "The park was quiet apart from a few dog walkers, and {child} went straight to the swings.",
    "{P} said she didnae ken who to trust any more, not even her own family.",
    "I typed this up at {time} from my jottings and the recording.",
)

JOTTINGS: tuple[str, ...] = (
    "{time} {P} on phone to pharmacy re script",
    "{time} bairns back fae nursery",
    "script pick-up tmrw at chemist, {P} worried re times",
    "HV due {day}",
    "SW phoned mid-interview, paused recording",
    "{P} tearful re contact visit",
    "{time} {P2} arrives, conversation changes",
    '"{quote}"',
    "kinship care - {P2} has {child} since {day}",
    "case conf next week, {P} not told who is coming",
    "{drug} dose up to 70ml?",
    "relapse in March, 'just the once'",
    "recovery cafe Thurs",
    "nursery - attendance letter",
    "{object}",
    "walked to {place}",
    "{P} {feeling}",
    "ask about {topic} next time",
    "{child} asleep on couch",
    "didnae ken = didn't know, keep the Scots",
    "check consent item 4 (quotes)",
    "{time} stopped recording",
    "{prof} mentioned twice",
    "contact visit cancelled again",
)


CLOSINGS: tuple[str, ...] = (
    "I left at {time}.",
    "We said goodbye at the door and {child} waved from the window.",
    "End of note.",
    "To discuss at the next team meeting.",
    "Recording stopped at {time}.",
)
