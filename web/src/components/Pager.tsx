import { useState } from 'react'
import { useApiQuery } from '../api/queries'
import type { Page } from '../api/types'

/** A paged list of the API (`?limit=&cursor=`): the current page and moves to the next and back. */
export function usePaged<T>(path: string, limit = 20) {
  const [cursors, setCursors] = useState<(string | null)[]>([null])
  const cursor = cursors[cursors.length - 1]
  const separator = path.includes('?') ? '&' : '?'
  const query = useApiQuery<Page<T>>(
    `${path}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
  )
  return {
    query,
    page: cursors.length,
    next: query.data?.next_cursor ? () => setCursors([...cursors, query.data!.next_cursor]) : undefined,
    previous: cursors.length > 1 ? () => setCursors(cursors.slice(0, -1)) : undefined,
  }
}

/** Pages of a list the API answers whole (senders, users, the latest alerts): slices for
 * display, nothing computed. */
export function useListPages<T>(items: T[], size = 20) {
  const [wanted, setWanted] = useState(1)
  const pages = Math.max(1, Math.ceil(items.length / size))
  const page = Math.min(wanted, pages)
  return {
    items: items.slice((page - 1) * size, page * size),
    page,
    next: page < pages ? () => setWanted(page + 1) : undefined,
    previous: page > 1 ? () => setWanted(page - 1) : undefined,
  }
}

export function PagerControls({ page, next, previous, label }: { page: number; next?: () => void; previous?: () => void; label: string }) {
  if (!next && !previous) return null
  const button = 'rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm disabled:opacity-50'
  return (
    <nav aria-label={label} className="mt-3 flex items-center gap-3">
      <button type="button" className={button} onClick={previous} disabled={!previous}>Previous</button>
      <span className="text-sm text-slate-600">Page {page}</span>
      <button type="button" className={button} onClick={next} disabled={!next}>Next</button>
    </nav>
  )
}
