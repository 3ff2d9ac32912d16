// Runtime configuration, read from /config.json at start: one build serves any stack (the local
// stack writes its own beside its copy of the build; a deployment writes production's).

export interface AppConfig {
  apiUrl: string // the dashboard API, ending in /api
  projectId: string
  apiKey: string
  authDomain?: string
  authEmulatorUrl?: string // set only for the local stack's Auth emulator
}

export async function loadConfig(): Promise<AppConfig> {
  const answer = await fetch('/config.json', { cache: 'no-store' })
  if (!answer.ok) throw new Error(`/config.json answered ${answer.status}`)
  const config = (await answer.json()) as Partial<AppConfig>
  if (!config.apiUrl || !config.projectId || !config.apiKey) {
    throw new Error('/config.json needs apiUrl, projectId and apiKey')
  }
  return config as AppConfig
}
