import { useParams } from 'react-router-dom'
import { useApiQuery, useMe } from '../api/queries'
import type { ClientPage } from '../api/types'
import { ErrorState, Loading, NotFound } from '../components/states'
import { RecordFlow } from './ClientForms'
import { ClientPanel } from './ClientPanel'

/** /clients/{id}: an admin's view of any client, where the admin records their deposits and
 * withdrawals; a client's of their own (another's is 404). */
export default function ClientById() {
  const { clientId = '' } = useParams()
  const me = useMe()
  const page = useApiQuery<ClientPage>(`/clients/${encodeURIComponent(clientId)}`)
  if (page.isPending) return <Loading />
  if (page.isError) {
    if (page.error.status === 404) return <NotFound what="client" />
    return <ErrorState error={page.error} retry={() => page.refetch()} />
  }
  const admin = me.data?.role === 'admin'
  return <ClientPanel page={page.data} actions={admin && <RecordFlow clientId={page.data.client.client_id} currency={page.data.client.base_currency} />} />
}
