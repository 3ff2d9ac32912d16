// The app's services (API, sign-in) and the signed-in user, shared by every page.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react'
import type { Api } from './api/client'
import type { AuthClient, SessionUser } from './auth/types'

export interface Services {
  api: Api
  auth: AuthClient
}

const ServicesContext = createContext<Services | null>(null)
// undefined while Firebase restores the session, null when nobody is signed in.
const SessionContext = createContext<SessionUser | null | undefined>(undefined)

export function AppProvider({ services, children }: { services: Services; children: ReactNode }) {
  const [user, setUser] = useState<SessionUser | null | undefined>(undefined)
  useEffect(() => services.auth.onChange(setUser), [services.auth])
  return (
    <ServicesContext.Provider value={services}>
      <SessionContext.Provider value={user}>{children}</SessionContext.Provider>
    </ServicesContext.Provider>
  )
}

export function useServices(): Services {
  const services = useContext(ServicesContext)
  if (!services) throw new Error('useServices outside AppProvider')
  return services
}

export function useSession(): SessionUser | null | undefined {
  return useContext(SessionContext)
}
