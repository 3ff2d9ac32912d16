// The API's reads as TanStack queries, keyed by path so a write can invalidate what it changed.
import { useQuery, type UseQueryOptions } from '@tanstack/react-query'
import { useServices, useSession } from '../app'
import type { ApiError } from './client'
import type { Me } from './types'

export function useApiQuery<T>(
  path: string | null,
  options: Omit<UseQueryOptions<T, ApiError>, 'queryKey' | 'queryFn'> = {},
) {
  const { api } = useServices()
  const user = useSession()
  return useQuery<T, ApiError>({
    queryKey: [user?.uid ?? 'nobody', path],
    queryFn: () => api.get<T>(path as string),
    enabled: Boolean(user && path) && (options.enabled ?? true),
    ...options,
  })
}

export function useMe() {
  return useApiQuery<Me>('/me', { staleTime: 30_000 })
}
