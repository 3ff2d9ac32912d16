// End-to-end tests in Debian's headless Chromium against a running local stack: the stack's
// stack.json (MATS_STACK_FILE) gives the URLs, its demo-users.json (MATS_DEMO_USERS) the users.
// tests/integration/test_web_dashboard.py starts a stack and runs these; they can also be run
// by hand against `mats up`: MATS_STACK_FILE=../.mats/stack.json npx playwright test
import { defineConfig } from '@playwright/test'
import { readFileSync } from 'node:fs'

const stackFile = process.env.MATS_STACK_FILE ?? '../.mats/stack.json'
const stack = JSON.parse(readFileSync(stackFile, 'utf8')) as { web_url: string }

export default defineConfig({
  testDir: 'e2e',
  timeout: 90_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: '../.mats/playwright',
  use: {
    baseURL: stack.web_url,
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.MATS_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
})
