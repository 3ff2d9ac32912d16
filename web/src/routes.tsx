import { lazy, Suspense, type ReactNode } from 'react'
import { Navigate, Route, Routes, useLocation } from 'react-router-dom'
import { useMe } from './api/queries'
import type { Role } from './api/types'
import { useSession } from './app'
import { Layout } from './components/Layout'
import { OperationsLayout } from './components/OperationsLayout'
import { ErrorState, Loading, NotFound } from './components/states'
import { Login } from './pages/Login'

// Each page is its own chunk: the first page loads only the login and the shell.
const AdminHome = lazy(() => import('./pages/AdminHome'))
const Activity = lazy(() => import('./pages/Activity'))
const Allocations = lazy(() => import('./pages/Allocations'))
const Clients = lazy(() => import('./pages/Clients'))
const Strategies = lazy(() => import('./pages/Strategies'))
const Schedule = lazy(() => import('./pages/Schedule'))
const Trading = lazy(() => import('./pages/Trading'))
const Senders = lazy(() => import('./pages/Senders'))
const Payouts = lazy(() => import('./pages/Payouts'))
const Users = lazy(() => import('./pages/Users'))
const Sandbox = lazy(() => import('./pages/Sandbox'))
const Investor = lazy(() => import('./pages/Investor'))
const ClientById = lazy(() => import('./pages/ClientById'))
const Sender = lazy(() => import('./pages/Sender'))

const HOME: Record<Role, string> = { admin: '/admin', client: '/investor', sender: '/sender' }

function SignedIn({ children }: { children: ReactNode }) {
  const user = useSession()
  const location = useLocation()
  if (user === undefined) return <Loading label="Restoring your session…" />
  if (user === null) return <Navigate to="/login" replace state={{ from: location.pathname }} />
  return children
}

function ForRole({ roles, children }: { roles: Role[]; children: ReactNode }) {
  const me = useMe()
  if (me.isPending) return <Loading />
  if (me.isError) return <ErrorState error={me.error} retry={() => me.refetch()} />
  if (!me.data.role || !roles.includes(me.data.role)) return <NotFound />
  return <Suspense fallback={<Loading />}>{children}</Suspense>
}

function RoleHome() {
  const me = useMe()
  if (me.isPending) return <Loading />
  if (me.isError) return <ErrorState error={me.error} retry={() => me.refetch()} />
  if (!me.data.role) {
    return <ErrorState error={new Error('Your account has no role yet. Ask an administrator to give you one.')} />
  }
  return <Navigate to={HOME[me.data.role]} replace />
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<Login />} />
      <Route
        element={
          <SignedIn>
            <Layout />
          </SignedIn>
        }
      >
        <Route index element={<RoleHome />} />
        <Route path="admin" element={<ForRole roles={['admin']}><AdminHome /></ForRole>} />
        <Route path="admin/activity" element={<ForRole roles={['admin']}><Activity /></ForRole>} />
        <Route path="admin/allocations" element={<ForRole roles={['admin']}><Allocations /></ForRole>} />
        <Route path="admin/strategies" element={<ForRole roles={['admin']}><Strategies /></ForRole>} />
        <Route path="admin/sandbox" element={<ForRole roles={['admin']}><Sandbox /></ForRole>} />
        <Route path="admin/operations" element={<ForRole roles={['admin']}><OperationsLayout /></ForRole>}>
          <Route index element={<Trading />} />
          <Route path="senders" element={<Senders />} />
          <Route path="payouts" element={<Payouts />} />
          <Route path="users" element={<Users />} />
          <Route path="schedule" element={<Schedule />} />
        </Route>
        <Route path="admin/clients" element={<ForRole roles={['admin']}><Clients /></ForRole>} />
        <Route path="investor" element={<ForRole roles={['client']}><Investor /></ForRole>} />
        <Route path="clients/:clientId" element={<ForRole roles={['admin', 'client']}><ClientById /></ForRole>} />
        <Route path="sender" element={<ForRole roles={['sender']}><Sender /></ForRole>} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  )
}
