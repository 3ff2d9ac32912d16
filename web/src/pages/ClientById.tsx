import { useParams } from 'react-router-dom'
import { useApiQuery } from '../api/queries'
import type { ClientPage } from '../api/types'
import { ErrorState, Loading, NotFound } from '../components/states'
import { ClientPanel } from './ClientPanel'

/** /clients/{id}: an admin's view of any client; a client's of their own (another's is 404). */
export default function ClientById() {
  const { clientId = '' } = useParams()
  const page = useApiQuery<ClientPage>(`/clients/${encodeURIComponent(clientId)}`)
  if (page.isPending) return <Loading />
  if (page.isError) {
    if (page.error.status === 404) return <NotFound what="client" />
    return <ErrorState error={page.error} retry={() => page.refetch()} />
  }
  return <ClientPanel page={page.data} />
}
