/// <reference lib="dom" />
import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Page, chromium } from 'playwright-core'

/** Debian's Chromium, installed by .ci/run; its absence skips browser tests only outside CI. */
export const CHROMIUM = '/usr/bin/chromium'
export const browserTestsRun = existsSync(CHROMIUM) || Boolean(process.env.CI)
if (!browserTestsRun) console.warn(`browser tests skipped: ${CHROMIUM} not found (apt-get install chromium; .ci/run installs it in CI, where they always run)`)

export interface ChartFacts {
  kind: string | null
  title: string
  x: string | null
  y: string | null
  texts: string[]
  width: number
}

export interface PageFacts {
  /** Every request other than the page itself. */
  requests: string[]
  /** Console errors and warnings, page errors. */
  problems: string[]
  /** alert/confirm/prompt dialogs that fired (a script ran). */
  dialogs: string[]
  images: number
  scripts: number
  charts: ChartFacts[]
}

/**
 * Opens a local HTML file in headless Chromium with the network-quiet flags this machine needs,
 * records what the page requested, logged and ran, reads its charts, lets `inspect` look further,
 * and keeps a full-page screenshot.
 */
export async function openInChromium<T>(file: string, screenshot: string, inspect: (page: Page) => Promise<T>): Promise<PageFacts & { inspected: T }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const pageUrl = pathToFileURL(file).href
    const requests: string[] = []
    const problems: string[] = []
    const dialogs: string[] = []
    page.on('request', (request) => {
      if (request.url() !== pageUrl) requests.push(request.url())
    })
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`)
    })
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message())
      await dialog.dismiss()
    })
    await page.goto(pageUrl, { waitUntil: 'load' })
    const facts = await page.evaluate(() => ({
      images: document.images.length,
      scripts: document.scripts.length,
      charts: Array.from(document.querySelectorAll('svg.chart')).map((svg) => ({
        kind: svg.getAttribute('data-kind'),
        title: svg.querySelector('title')?.textContent ?? '',
        x: svg.getAttribute('data-x-axis'),
        y: svg.getAttribute('data-y-axis'),
        texts: Array.from(svg.querySelectorAll('text')).map((t) => t.textContent ?? ''),
        width: svg.getBoundingClientRect().width,
      })),
    }))
    const inspected = await inspect(page)
    mkdirSync(dirname(screenshot), { recursive: true })
    await page.screenshot({ path: screenshot, fullPage: true })
    return { requests, problems, dialogs, ...facts, inspected }
  } finally {
    await browser.close()
  }
}
