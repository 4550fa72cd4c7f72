/**
 * Plain English prose that synthetic prompts are cut from (written for geopat; no licence
 * strings attached). It is deliberately restricted to letters, single spaces, commas and full
 * stops, each punctuation mark followed by a space: under cl100k_base's pre-tokenizer such text
 * splits into independent pieces (" word", ".", ","), so the token count of any run of pieces is
 * the sum of the pieces' counts. prompts.ts relies on that and checks it when it loads.
 */
export const PROSE_CORPUS = `
The harbour town woke slowly in winter, when the fishing boats stayed tied to the stone wall and
the gulls walked along the roofs as if they owned them. Most mornings began with the baker, who
opened his shutters before anyone else and set a lamp in the window so that the street would not
feel so empty. People said the smell of his bread reached the lighthouse on calm days, although
the keeper always laughed and said it was only the sea he could smell.

Above the town the road climbed through pine woods to a high meadow, and from there a walker
could see the whole coast, the river mouth, the long beach and the islands that sat in the bay like
sleeping animals. Shepherds used the meadow in summer, but in the cold months it belonged to the
wind and to a few stubborn goats that nobody seemed to own. Children dared each other to climb the
old watch tower at the edge of the cliff, and every spring someone carved a new name into its door.

The library stood near the market square, in a building that had once been a customs house. Its
reading room still had the long counter where merchants had paid their duties, and the librarian
kept the town records in the same iron chests that had held silver coins two centuries before. She
liked to tell visitors that the building had always guarded treasure, only the kind had changed.
On rainy afternoons the room filled with students, retired sailors reading the shipping news, and
a chess club that argued quietly about openings nobody else cared to learn.

Trade had shaped the town more than anything else. Grain came down the river on flat barges, salt
arrived from the southern pans, and wool went out to the weaving towns across the water. Each
cargo brought its own habits, its own songs and its own words, and the market still used a
dialect that mixed them all. An old merchant once kept a ledger in three languages, switching in
the middle of a sentence whenever the price of something surprised him.

Engineers arrived in the last century to build a new breakwater. They measured the currents for
two full years before they placed a single stone, and the town thought them very strange for it.
They tied bottles to floating posts, counted waves through the night and wrote everything into
thick notebooks that smelled of tar. When the wall was finished at last, the great storm of that
autumn broke against it and left the harbour calm, and nobody ever laughed at their notebooks again.

A careful measurement, the chief engineer liked to say, is worth more than a confident guess. He
taught the harbour master to keep a daily record of the tide, the wind and the height of the
swell, and the habit outlived them both. The record now fills a whole shelf in the library, and
scholars come from the university to study it, because it shows how the sea has slowly risen over
a hundred years, one patient line at a time.

In spring the town changed its mood entirely. Windows opened, painters climbed ladders to refresh
the blue doors along the quay, and the ferry began its summer timetable to the islands. Visitors
came with maps and cameras and asked the way to the tower, the beach and the famous fish soup, and
the children sold them shells and pretended to be guides. The old men on the bench outside the
harbour office counted the visitors each day and argued about whether the number was growing.

The islands themselves kept older customs. There was no bridge and no airport, only the ferry
and a few private boats, so news arrived late and left early. Families there still shared one
large oven for the whole village, and every household marked its loaves with a different pattern
so that nobody would take the wrong bread home. A teacher who moved there from the city wrote that
she had never known a place where time was measured so clearly by tides and harvests.

Every decade or so someone proposed a grand plan for the coast, a marina for large yachts, a
resort on the cliff or a factory by the river. The town council listened politely, asked for
numbers, compared the promises with the record of the tide and the ledger of the market, and
usually decided to wait. Patience, the mayor once wrote, had saved them more money than any clever
scheme had ever made. Yet the town was not against change. It simply wanted to understand what a
change would cost, who would pay for it and how it would be undone if it went wrong.
`
