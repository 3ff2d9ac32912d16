import { Suspense } from 'react'
import { NavLink, Outlet } from 'react-router-dom'
import { Loading } from './states'

// The admin's operations share one entry in the main menu, so it stays short on a phone.
const PAGES = [
  { to: '/admin/operations', label: 'Trading and alerts' },
  { to: '/admin/operations/senders', label: 'Senders' },
  { to: '/admin/operations/payouts', label: 'Payouts' },
  { to: '/admin/operations/users', label: 'Users' },
  { to: '/admin/operations/schedule', label: 'Schedule' },
]

/** The operations pages under one sub-menu. */
export function OperationsLayout() {
  return (
    <>
      <nav aria-label="Operations" className="-mt-2 mb-5 flex flex-wrap gap-1 border-b border-slate-200 pb-2">
        {PAGES.map((page) => (
          <NavLink
            key={page.to}
            to={page.to}
            end
            className={({ isActive }) =>
              `rounded-md px-3 py-1.5 text-sm ${isActive ? 'bg-blue-100 font-semibold text-blue-950' : 'text-blue-900 hover:bg-slate-100'}`
            }
          >
            {page.label}
          </NavLink>
        ))}
      </nav>
      <Suspense fallback={<Loading />}>
        <Outlet />
      </Suspense>
    </>
  )
}
