// Passkeys (WebAuthn) for the second factor. A form marked data-passkey="register" or
// "login" gets its options from <script id="passkey-options">, asks the browser's
// authenticator (navigator.credentials), puts the response as JSON into the form's
// hidden "credential" field and submits the form. No library, no outside server:
// the server checks everything (app/accounts/passkeys.py).

const toBytes = (b64url) => {
  const b64 = b64url.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(b64url.length / 4) * 4, "=");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
};

const toB64url = (buffer) => {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

const withIds = (list) => (list || []).map((c) => ({ ...c, id: toBytes(c.id) }));

function creationOptions(json) {
  return {
    ...json,
    challenge: toBytes(json.challenge),
    user: { ...json.user, id: toBytes(json.user.id) },
    excludeCredentials: withIds(json.excludeCredentials),
  };
}

function requestOptions(json) {
  return { ...json, challenge: toBytes(json.challenge), allowCredentials: withIds(json.allowCredentials) };
}

function common(credential) {
  return {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: credential.type,
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
  };
}

function registrationJSON(credential) {
  const r = credential.response;
  return {
    ...common(credential),
    response: {
      clientDataJSON: toB64url(r.clientDataJSON),
      attestationObject: toB64url(r.attestationObject),
      transports: typeof r.getTransports === "function" ? r.getTransports() : [],
    },
  };
}

function assertionJSON(credential) {
  const r = credential.response;
  return {
    ...common(credential),
    response: {
      clientDataJSON: toB64url(r.clientDataJSON),
      authenticatorData: toB64url(r.authenticatorData),
      signature: toB64url(r.signature),
      userHandle: r.userHandle ? toB64url(r.userHandle) : undefined,
    },
  };
}

async function run(form, kind, options) {
  const credential =
    kind === "register"
      ? await navigator.credentials.create({ publicKey: creationOptions(options) })
      : await navigator.credentials.get({ publicKey: requestOptions(options) });
  const json = kind === "register" ? registrationJSON(credential) : assertionJSON(credential);
  form.querySelector('input[name="credential"]').value = JSON.stringify(json);
  form.submit();
}

function setUp() {
  const source = document.getElementById("passkey-options");
  const form = document.querySelector("form[data-passkey]");
  if (!source || !form) return;
  const status = form.querySelector("[data-passkey-status]");
  if (!window.PublicKeyCredential || !navigator.credentials) {
    status.textContent = form.dataset.msgUnsupported;
    form.querySelector('button[type="submit"]').disabled = true;
    return;
  }
  const options = JSON.parse(source.textContent);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    status.textContent = "";
    run(form, form.dataset.passkey, options).catch(() => {
      status.textContent = form.dataset.msgFailed;
    });
  });
}

setUp();
