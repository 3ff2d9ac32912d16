// The Firebase JS SDK behind AuthClient: email and password, then the SMS second factor
// (getMultiFactorResolver + invisible RecaptchaVerifier + PhoneAuthProvider). Against the local
// Auth emulator reCAPTCHA is mocked by the SDK, so nothing beyond loopback is reached.
import { initializeApp } from 'firebase/app'
import {
  type Auth,
  type MultiFactorError,
  type PhoneMultiFactorInfo,
  PhoneAuthProvider,
  PhoneMultiFactorGenerator,
  RecaptchaVerifier,
  browserLocalPersistence,
  connectAuthEmulator,
  getMultiFactorResolver,
  initializeAuth,
  onIdTokenChanged,
  signInWithEmailAndPassword,
  signOut,
} from 'firebase/auth'
import type { AppConfig } from '../config'
import { type AuthClient, type SignInResult, SignInError, signInMessage } from './types'

import { RECAPTCHA_CONTAINER } from './constants'

function refusal(error: unknown): SignInError {
  const code = (error as { code?: string }).code ?? 'auth/unknown'
  return new SignInError(code, signInMessage(code))
}

export function firebaseAuthClient(config: AppConfig): AuthClient {
  const app = initializeApp({
    apiKey: config.apiKey,
    projectId: config.projectId,
    authDomain: config.authDomain ?? `${config.projectId}.firebaseapp.com`,
  })
  // initializeAuth, not getAuth: no popup/redirect code in the bundle, which the app never uses.
  const auth: Auth = initializeAuth(app, { persistence: browserLocalPersistence })
  if (config.authEmulatorUrl) {
    connectAuthEmulator(auth, config.authEmulatorUrl, { disableWarnings: true })
    // The emulator checks no reCAPTCHA: the SDK's mock is used and google.com never reached.
    auth.settings.appVerificationDisabledForTesting = true
  }

  async function secondFactor(error: MultiFactorError): Promise<SignInResult> {
    const resolver = getMultiFactorResolver(auth, error)
    const hint = resolver.hints.find((h) => h.factorId === PhoneMultiFactorGenerator.FACTOR_ID) as
      | PhoneMultiFactorInfo
      | undefined
    if (!hint) throw new SignInError('auth/unsupported-second-factor', 'Your second factor is not supported here.')
    return {
      kind: 'second-factor',
      phoneHint: hint.phoneNumber,
      async sendCode() {
        const verifier = new RecaptchaVerifier(auth, RECAPTCHA_CONTAINER, { size: 'invisible' })
        let verificationId: string
        try {
          verificationId = await new PhoneAuthProvider(auth).verifyPhoneNumber(
            { multiFactorHint: hint, session: resolver.session },
            verifier,
          )
        } catch (sendError) {
          throw refusal(sendError)
        } finally {
          verifier.clear()
        }
        return async (code: string) => {
          try {
            const credential = PhoneAuthProvider.credential(verificationId, code)
            await resolver.resolveSignIn(PhoneMultiFactorGenerator.assertion(credential))
          } catch (codeError) {
            throw refusal(codeError)
          }
        }
      },
    }
  }

  return {
    async signIn(email, password) {
      try {
        await signInWithEmailAndPassword(auth, email, password)
        return { kind: 'signed-in' }
      } catch (error) {
        if ((error as { code?: string }).code === 'auth/multi-factor-auth-required') {
          return secondFactor(error as MultiFactorError)
        }
        throw refusal(error)
      }
    },
    signOut: () => signOut(auth),
    onChange: (listener) =>
      onIdTokenChanged(auth, (user) => listener(user ? { uid: user.uid, email: user.email } : null)),
    idToken: async (forceRefresh) => (auth.currentUser ? auth.currentUser.getIdToken(forceRefresh) : null),
  }
}
