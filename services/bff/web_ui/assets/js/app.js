// The page's router and session. Client routes live under /app/...; the BFF answers
// index.html for each of them, and this module draws the screen for the path.

import {get, post, setCsrfToken, whenSessionEnds} from "./api.js";
import {announce, h, replace} from "./dom.js";
import * as account from "./pages/account.js";
import * as admin from "./pages/admin.js";
import * as auth from "./pages/auth.js";
import * as brand from "./pages/brand.js";
import * as partner from "./pages/partner.js";
import * as hooks from "./pages/webhooks.js";
import {failure, notFound} from "./widgets.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const accountBox = document.getElementById("account");

export const session = {principal: null, account: null};

// [pattern, screen, roles (null: anyone, [] : signed out only)]
const ROUTES = [
  ["/app/login", auth.login, []],
  ["/app/signup", auth.signup, []],
  ["/app/accept", auth.acceptInvitation, []],
  ["/app/forgot", auth.forgotPassword, []],
  ["/app/reset", auth.resetPassword, []],
  ["/app/account", account.account, ["partner", "brand", "admin"]],
  ["/app/partner", partner.home, ["partner"]],
  ["/app/partner/campaigns", partner.campaigns, ["partner"]],
  ["/app/partner/links", partner.links, ["partner"]],
  ["/app/partner/conversions", partner.conversions, ["partner"]],
  ["/app/partner/commissions", partner.commissions, ["partner"]],
  ["/app/partner/payouts", partner.payouts, ["partner"]],
  ["/app/partner/profile", partner.profile, ["partner"]],
  ["/app/partner/webhooks", hooks.webhooks, ["partner"]],
  ["/app/brands/:brandId", brand.home, ["brand", "admin"]],
  ["/app/brands/:brandId/campaigns", brand.campaigns, ["brand", "admin"]],
  ["/app/brands/:brandId/campaigns/new", brand.newCampaign, ["brand", "admin"]],
  ["/app/brands/:brandId/campaigns/:campaignId", brand.campaign, ["brand", "admin"]],
  ["/app/brands/:brandId/conversions", brand.conversions, ["brand", "admin"]],
  ["/app/brands/:brandId/commissions", brand.commissions, ["brand", "admin"]],
  ["/app/brands/:brandId/reports", brand.reports, ["brand", "admin"]],
  ["/app/brands/:brandId/api-keys", brand.apiKeys, ["brand", "admin"]],
  ["/app/brands/:brandId/users", brand.users, ["brand", "admin"]],
  ["/app/brands/:brandId/webhooks", hooks.webhooks, ["brand", "admin"]],
  ["/app/admin", admin.partners, ["admin"]],
  ["/app/admin/partners", admin.partners, ["admin"]],
  ["/app/admin/brands", admin.brands, ["admin"]],
  ["/app/admin/payouts", admin.payouts, ["admin"]],
  ["/app/admin/payouts/:payoutId", admin.payout, ["admin"]],
  ["/app/admin/dead-letters", admin.deadLetters, ["admin"]],
];

function match(path) {
  const parts = path.replace(/\/+$/, "").split("/");
  for (const [pattern, screen, roles] of ROUTES) {
    const want = pattern.split("/");
    if (want.length !== parts.length) continue;
    const params = {};
    const ok = want.every((piece, i) => {
      if (piece.startsWith(":")) {
        params[piece.slice(1)] = decodeURIComponent(parts[i]);
        return parts[i] !== "" && parts[i] !== "new";
      }
      return piece === parts[i];
    });
    if (ok) return {screen, roles, params};
  }
  return null;
}

export function homePath() {
  const principal = session.principal;
  if (!principal) return "/app/login";
  if (principal.role === "partner") return "/app/partner";
  if (principal.role === "brand") return `/app/brands/${principal.subject}`;
  return "/app/admin";
}

function navLinks() {
  const principal = session.principal;
  if (!principal) {
    return [["/app/login", "Sign in"], ["/app/signup", "Become a partner"]];
  }
  if (principal.role === "partner") {
    return [["/app/partner", "Home"], ["/app/partner/campaigns", "Campaigns"],
            ["/app/partner/links", "My links"], ["/app/partner/conversions", "Conversions"],
            ["/app/partner/commissions", "Commissions"], ["/app/partner/payouts", "Payouts"],
            ["/app/partner/webhooks", "Webhooks"], ["/app/partner/profile", "Profile"]];
  }
  if (principal.role === "brand") {
    return brandLinks(principal.subject, principal.brand_role !== "member", "");
  }
  const links = [["/app/admin/partners", "Partners"], ["/app/admin/brands", "Brands"],
                 ["/app/admin/payouts", "Payouts"], ["/app/admin/dead-letters", "Dead letters"]];
  const viewing = location.pathname.match(/^\/app\/brands\/([^/]+)/);
  if (viewing) {  // an operator in a brand's console: its pages too
    links.push(...brandLinks(decodeURIComponent(viewing[1]), true, "Brand "));
  }
  return links;
}

function brandLinks(brandId, manager, prefix) {
  const base = `/app/brands/${brandId}`;
  const links = [[base, `${prefix}home`.replace(/^home$/, "Home")],
                 [`${base}/campaigns`, `${prefix}campaigns`],
                 [`${base}/conversions`, `${prefix}conversions`],
                 [`${base}/commissions`, `${prefix}commissions`],
                 [`${base}/reports`, `${prefix}reports`]];
  if (manager) {
    links.push([`${base}/api-keys`, `${prefix}API keys`], [`${base}/users`, `${prefix}users`],
               [`${base}/webhooks`, `${prefix}webhooks`]);
  }
  return links.map(([href, text]) => [href, text.charAt(0).toUpperCase() + text.slice(1)]);
}

function drawChrome(path) {
  replace(nav, h("ul", {}, navLinks().map(([href, text]) => {
    const current = path === href || (href !== homePath() && path.startsWith(`${href}/`));
    return h("li", {}, h("a", {href, "aria-current": current ? "page" : null}, text));
  })));
  if (session.principal) {
    const who = session.account ? session.account.email : session.principal.role;
    replace(accountBox,
      h("a", {class: "who", href: "/app/account", title: "Your account"}, who,
        h("span", {class: "role"}, ` (${roleName()})`)),
      h("button", {type: "button", class: "link-button", onclick: signOut}, "Sign out"));
  } else {
    replace(accountBox);
  }
}

function roleName() {
  const principal = session.principal;
  if (principal.role === "brand") return principal.brand_role === "member" ? "brand member"
    : "brand owner";
  return principal.role === "admin" ? "operator" : "partner";
}

async function signOut() {
  try {
    await post("/api/v1/auth/logout", undefined, {quiet401: true});
  } catch {
    // the session may have ended already: signed out either way
  }
  signedOut("You are signed out.");
}

/** The session is over (ended here or everywhere): back to the sign-in page. */
function signedOut(notice) {
  forget();
  navigate("/app/login", {notice});
}

function forget() {
  session.principal = null;
  session.account = null;
  setCsrfToken(null);
}

/** After a log-in: who is this, and the CSRF token for what changes something. */
export async function begin(login) {
  setCsrfToken(login.csrf_token);
  const account = login.account;
  session.account = account;
  session.principal = {role: account.role, subject: account.partner_id || account.brand_id
    || account.account_id, brand_role: account.brand_role || null};
}

async function restore() {
  try {
    const current = await get("/api/v1/auth/session", undefined, {quiet401: true});
    setCsrfToken(current.csrf_token);
    session.account = current.account;
    session.principal = {...current.principal,
                         brand_role: current.account ? current.account.brand_role : null};
  } catch {
    forget();
  }
}

let pendingNotice = null;

export function navigate(path, {replace: replaceState = false, notice = null} = {}) {
  pendingNotice = notice;
  if (replaceState) {
    history.replaceState({}, "", path);
  } else {
    history.pushState({}, "", path);
  }
  render();
}

async function render() {
  const path = location.pathname;
  if (path === "/" || path === "/app" || path === "/app/") {
    history.replaceState({}, "", homePath());
    return render();
  }
  const found = match(path);
  drawChrome(path);
  const notice = pendingNotice;
  pendingNotice = null;
  if (!found) {
    show(notFound(), "Not found");
    return undefined;
  }
  const role = session.principal ? session.principal.role : null;
  if (found.roles.length === 0 && role) {
    history.replaceState({}, "", homePath());
    return render();
  }
  if (found.roles.length && !role) {
    const next = encodeURIComponent(path);
    history.replaceState({}, "", `/app/login?next=${next}`);
    pendingNotice = notice;
    return render();
  }
  if (found.roles.length && !found.roles.includes(role)) {
    show(notFound(), "Not found");
    return undefined;
  }
  const page = h("div", {class: "page"});
  if (notice) page.append(h("p", {class: "notice", role: "status"}, notice));
  show(page);
  try {
    await found.screen(page, {...found.params, session, navigate, begin, homePath, signedOut,
                              query: new URLSearchParams(location.search)});
  } catch (error) {
    page.append(failure(error));
  }
  const title = page.querySelector("h1");
  document.title = `${title ? title.textContent : "AlpesPartners"} · AlpesPartners`;
  (title || main).focus({preventScroll: false});
  announce(document.title);
  return undefined;
}

function show(node, title) {
  replace(main, node);
  if (title) {
    document.title = `${title} · AlpesPartners`;
    const heading = main.querySelector("h1");
    if (heading) heading.focus();
  }
}

// Same-origin links under /app are drawn here, without loading the page again.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey
      || event.ctrlKey || event.shiftKey || event.altKey || link.target) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith("/app")) return;
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});
window.addEventListener("popstate", () => render());

whenSessionEnds(() => {
  if (!session.principal) return;
  forget();
  const next = encodeURIComponent(location.pathname);
  navigate(`/app/login?next=${next}`, {replace: true,
                                       notice: "Your session has ended. Sign in again."});
});

restore().then(render);
