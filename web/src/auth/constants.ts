// Where the invisible reCAPTCHA of the SMS step is rendered (the login page holds it).
export const RECAPTCHA_CONTAINER = 'recaptcha-container'
