import { useState } from "preact/hooks";
import { ApiError, login, register } from "../api.js";
import { ErrorNote, announce } from "../components.js";
import { navigate } from "../router.js";
import { setSession } from "../session.js";

/** Register or sign in: one form, two submit buttons; a new account is signed in at once. */
export function LoginPage() {
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (mode: "login" | "register"): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      if (mode === "register") {
        if (email.trim() === "") throw new ApiError(400, "email: needed to create an account");
        await register(username.trim(), email.trim(), password);
      }
      const session = await login(username.trim(), password);
      setSession(session);
      announce(`Signed in as ${session.user.username}.`);
      navigate({ page: "home" });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel narrow" aria-labelledby="login-title">
      <h2 id="login-title">Sign in or register</h2>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
          void submit(submitter?.value === "register" ? "register" : "login");
        }}
      >
        <label for="username">Username</label>
        <input id="username" name="username" autoComplete="username" required value={username} onInput={(e) => setUsername((e.currentTarget as HTMLInputElement).value)} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required minLength={8} value={password} onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)} />
        <label for="email">Email (to register)</label>
        <input id="email" name="email" type="email" autoComplete="email" value={email} onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)} />
        <ErrorNote error={error} />
        <div class="row">
          <button type="submit" class="btn primary" name="mode" value="login" disabled={busy}>
            Sign in
          </button>
          <button type="submit" class="btn" name="mode" value="register" id="register" disabled={busy}>
            Create account
          </button>
        </div>
      </form>
    </section>
  );
}
