import { useMe } from '../api/queries'
import { Empty, ErrorState, Loading } from '../components/states'
import { ClientPanel } from './ClientPanel'

export default function Investor() {
  const me = useMe()
  if (me.isPending) return <Loading />
  if (me.isError) return <ErrorState error={me.error} retry={() => me.refetch()} />
  if (!me.data.client) return <Empty>Your account is not linked to an investment yet.</Empty>
  return <ClientPanel page={me.data.client} />
}
