"""Word lists the templates draw from: invented people, places and things, no facts.

Names have distinct first letters and surnames so that a verifier can tell any two apart.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Alice Ben Clara Daniel Elena Felix Grace Hugo Irene Jonas Kira Leo Maya Noah Olga Paul Rosa Sam Tara Victor"
).split()
SURNAMES = (
    "Moreau Becker Ortiz Lindqvist Novak Tanaka Okafor Rossi Silva Kowalski Haddad Nguyen Brandt Costa Varga"
).split()
CITIES = (
    "Lyon Porto Graz Leeds Ghent Turin Bergen Utrecht Krakow Malaga Tampere Bremen Cork Basel Brno Aarhus"
).split()
NOUNS = (
    "apple banana cherry river mountain pencil window garden rocket violin tiger candle bridge forest "
    "island ladder mirror pillow saddle teapot tunnel wallet yogurt zebra anchor basket cactus dolphin "
    "engine feather guitar hammer jacket kettle lemon magnet needle oyster parrot quilt rabbit spider "
    "tomato valley walnut"
).split()
ORGANISATIONS = (
    "Riverbend Clinic|Northgate Library|Harbour Light Theatre|Elm Street Bakery|Bluebell Music School|"
    "Granite Peak Museum|Sunfield Cycling Club|Old Mill Gallery|Lakeside Rowing Club|Cedar Hill Observatory"
).split("|")
