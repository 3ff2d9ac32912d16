import { useQueryClient } from '@tanstack/react-query'
import { NavLink, Outlet, useNavigate } from 'react-router-dom'
import { useMe } from '../api/queries'
import { useServices, useSession } from '../app'

// `section`: the link stays current on the pages below it (Operations has its own sub-menu).
const LINKS: Record<string, { to: string; label: string; section?: boolean }[]> = {
  admin: [
    { to: '/admin', label: 'Home' },
    { to: '/admin/activity', label: 'Activity' },
    { to: '/admin/allocations', label: 'Allocations' },
    { to: '/admin/strategies', label: 'Strategies' },
    { to: '/admin/sandbox', label: 'Sandbox' },
    { to: '/admin/clients', label: 'Investors' },
    { to: '/admin/operations', label: 'Operations', section: true },
  ],
  client: [{ to: '/investor', label: 'My investment' }],
  sender: [{ to: '/sender', label: 'My signals' }],
}

export function Layout() {
  const { auth } = useServices()
  const user = useSession()
  const me = useMe()
  const navigate = useNavigate()
  const queries = useQueryClient()
  const links = LINKS[me.data?.role ?? ''] ?? []

  async function signOut() {
    await auth.signOut()
    queries.clear()
    navigate('/login', { replace: true })
  }

  return (
    <div className="min-h-screen">
      <header className="bg-blue-950 text-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
          <span className="text-lg font-bold tracking-tight">MATS</span>
          <nav aria-label="Main" className="flex flex-wrap gap-1">
            {links.map((link) => (
              <NavLink
                key={link.to}
                to={link.to}
                end={!link.section}
                className={({ isActive }) =>
                  `rounded-md px-3 py-1.5 text-sm ${isActive ? 'bg-white/20 font-semibold' : 'hover:bg-white/10'}`
                }
              >
                {link.label}
              </NavLink>
            ))}
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm">
            <span className="hidden text-blue-100 sm:inline" data-testid="signed-in-as">{user?.email}</span>
            <button type="button" onClick={signOut} className="rounded-md border border-white/40 px-3 py-1.5 hover:bg-white/10">
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-6xl min-w-0 px-4 py-6">
        <Outlet />
      </main>
    </div>
  )
}
