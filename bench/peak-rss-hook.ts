/**
 * Loaded into a geopat process with `node --import dist/bench/peak-rss-hook.js` by
 * bench/pod-capacity.ts: when the process exits, it writes its peak resident set (KiB, every thread
 * of the process: the load workers too) to the file named by GEOPAT_PEAK_RSS_FILE.
 */
import { writeFileSync } from 'node:fs'

const file = process.env.GEOPAT_PEAK_RSS_FILE
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)))
