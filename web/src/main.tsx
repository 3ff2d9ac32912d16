import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { BrowserRouter } from 'react-router-dom'
import { httpApi } from './api/client'
import { AppProvider } from './app'
import { firebaseAuthClient } from './auth/firebase'
import { loadConfig } from './config'
import './index.css'
import { AppRoutes } from './routes'

const root = createRoot(document.getElementById('root')!)

async function start() {
  const config = await loadConfig()
  const auth = firebaseAuthClient(config)
  const api = httpApi(config.apiUrl, () => auth.idToken())
  const queries = new QueryClient({
    defaultOptions: {
      queries: {
        // A refusal is an answer, not a fault: only a lost connection or a 5xx is tried again.
        retry: (count, error) => count < 2 && (!('status' in error) || (error as { status: number }).status >= 500 || (error as { status: number }).status === 0),
        refetchOnWindowFocus: true,
      },
    },
  })
  root.render(
    <StrictMode>
      <QueryClientProvider client={queries}>
        <AppProvider services={{ api, auth }}>
          <BrowserRouter>
            <AppRoutes />
          </BrowserRouter>
        </AppProvider>
      </QueryClientProvider>
    </StrictMode>,
  )
}

start().catch((error: unknown) => {
  root.render(
    <main className="p-8">
      <h1 className="text-xl font-semibold">The dashboard could not start</h1>
      <p role="alert" className="mt-2 text-red-800">{error instanceof Error ? error.message : String(error)}</p>
    </main>,
  )
})
