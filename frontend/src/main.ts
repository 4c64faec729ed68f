// Boots the popover page: binds the controller to the Go services and the
// Wails events, hides the window when it loses focus (Wails v2 has no blur
// event of its own) or on Escape, unless the desktop shows no tray icon.
import "./style.css";
import { backend, hideWindow, onEvent } from "./api";
import { Controller } from "./controller";

const root = document.getElementById("app")!;
const c = new Controller(root, backend);
onEvent("state", (s) => c.onState(s));
onEvent("notifications", () => void c.onNotifications());
onEvent("open", (o) => c.onOpen(o));
// Without a tray icon there is nothing to bring the window back: it stays.
const hide = () => { if (!c.state?.no_tray) hideWindow(); };
window.addEventListener("blur", hide);
window.addEventListener("keydown", (e) => {
  if (e.key === "Escape") hide();
});
c.start().catch((e) => {
  root.textContent = "The app could not start: " + ((e as { message?: string }).message ?? String(e));
});
