// What the app needs from sign-in, apart from Firebase: the login page and its tests talk to
// this interface; firebase.ts implements it with the Firebase JS SDK.

export interface SessionUser {
  uid: string
  email: string | null
}

/** The second step for a user with an SMS second factor (admins). */
export interface SecondFactorStep {
  kind: 'second-factor'
  phoneHint: string // the enrolled number, as Firebase masks it
  sendCode(): Promise<(code: string) => Promise<void>>
}

export type SignInResult = { kind: 'signed-in' } | SecondFactorStep

export interface AuthClient {
  signIn(email: string, password: string): Promise<SignInResult>
  signOut(): Promise<void>
  onChange(listener: (user: SessionUser | null) => void): () => void
  idToken(forceRefresh?: boolean): Promise<string | null>
}

/** A refusal worded for people: `code` is Firebase's (auth/...). */
export class SignInError extends Error {
  readonly code: string

  constructor(code: string, message: string) {
    super(message)
    this.name = 'SignInError'
    this.code = code
  }
}

const MESSAGES: Record<string, string> = {
  'auth/invalid-credential': 'That email and password do not match an account.',
  'auth/invalid-login-credentials': 'That email and password do not match an account.',
  'auth/wrong-password': 'That email and password do not match an account.',
  'auth/user-not-found': 'That email and password do not match an account.',
  'auth/invalid-email': 'Enter a valid email address.',
  'auth/missing-password': 'Enter your password.',
  'auth/user-disabled': 'This account is disabled. Ask an administrator.',
  'auth/too-many-requests': 'Too many attempts. Wait a few minutes and try again.',
  'auth/invalid-verification-code': 'That code is not right. Check the SMS and try again.',
  'auth/missing-verification-code': 'Enter the 6-digit code from the SMS.',
  'auth/code-expired': 'That code has expired. Send a new one.',
  'auth/network-request-failed': 'The sign-in service cannot be reached. Check your connection.',
}

export function signInMessage(code: string): string {
  return MESSAGES[code] ?? 'Sign-in failed. Try again.'
}
