// The one way the page makes elements. Children that are strings become
// text nodes, so text from the server (titles, messages, script names)
// can never become markup. Attributes are set one by one; event handler
// attributes (on*) and URL-bearing ones are refused, handlers are passed
// as functions.

type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  id?: string;
  title?: string;
  type?: string;
  role?: string;
  tabindex?: number;
  disabled?: boolean;
  value?: string;
  placeholder?: string;
  src?: string; // only same-origin paths, checked below
  alt?: string;
  "aria-label"?: string;
  "aria-live"?: string;
  "aria-current"?: string;
  "aria-pressed"?: string;
  "aria-busy"?: string;
  "aria-hidden"?: string;
  onClick?: (e: MouseEvent) => void;
  onInput?: (e: Event) => void;
  onKeydown?: (e: KeyboardEvent) => void;
  onSubmit?: (e: SubmitEvent) => void;
  onError?: (e: Event) => void;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    switch (k) {
      case "onClick": el.addEventListener("click", v as EventListener); break;
      case "onInput": el.addEventListener("input", v as EventListener); break;
      case "onKeydown": el.addEventListener("keydown", v as EventListener); break;
      case "onSubmit": el.addEventListener("submit", v as EventListener); break;
      case "onError": el.addEventListener("error", v as EventListener); break;
      case "class": el.className = String(v); break;
      case "value": (el as HTMLInputElement).value = String(v); break;
      case "disabled": (el as HTMLButtonElement).disabled = Boolean(v); break;
      case "src":
        if (!isSameOriginPath(String(v))) throw new Error("refusing a non-local src");
        el.setAttribute("src", String(v));
        break;
      default:
        el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return el;
}

/** A path on the app's own origin: "/x", not "//host", not "javascript:". */
export function isSameOriginPath(s: string): boolean {
  return s.startsWith("/") && !s.startsWith("//") && !s.includes("\\");
}

/** Replaces el's children. */
export function mount(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
}
