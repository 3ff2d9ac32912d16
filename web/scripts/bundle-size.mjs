// The first page's JavaScript, gzipped: the entry script index.html loads and every chunk it
// preloads (lazy pages are not counted; they load when their route is opened). Fails above the
// budget. 1 kB = 1000 bytes, as Vite reports it.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const BUDGET_KB = 250
const dist = join(import.meta.dirname, '..', 'dist')
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const scripts = new Set()
for (const match of html.matchAll(/<script[^>]+src="([^"]+\.js)"/g)) scripts.add(match[1])
for (const match of html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g)) scripts.add(match[1])
if (scripts.size === 0) {
  console.error('bundle-size: no script in dist/index.html; run npm run build first')
  process.exit(1)
}
let total = 0
for (const script of scripts) {
  const size = gzipSync(readFileSync(join(dist, script.replace(/^\//, ''))), { level: 9 }).length
  total += size
  console.log(`  ${script}  ${(size / 1000).toFixed(1)} kB gzipped`)
}
const kb = (total / 1000).toFixed(1)
if (total > BUDGET_KB * 1000) {
  console.error(`First page's JavaScript: ${kb} kB gzipped, over the ${BUDGET_KB} kB budget`)
  process.exit(1)
}
console.log(`First page's JavaScript: ${kb} kB gzipped (budget ${BUDGET_KB} kB)`)
