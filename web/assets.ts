/**
 * The one stylesheet, kept in code so the build ships it with the router. Mobile first; colours
 * meet WCAG AA contrast on white (text #1b1b1b 16.8:1, links #1a4fa0 7.6:1, errors #a4161a 8:1);
 * the focus ring is a thick dark outline over a yellow halo, visible on any background.
 */
import { createHash } from 'node:crypto';

export const SITE_CSS = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Khmer","Noto Sans Thai","Noto Sans Devanagari","Noto Sans CJK TC",sans-serif;font-size:1.125rem;line-height:1.5;color:#1b1b1b;background:#fff}
:lang(km),:lang(th),:lang(hi){line-height:1.8}
:lang(km) a,:lang(th) a,:lang(hi) a{text-underline-offset:.4em}
a{color:#1a4fa0;text-decoration:underline;text-underline-offset:.15em}
a:visited{color:#4c2c92}
a:hover{color:#0b2e66;text-decoration-thickness:3px}
:focus-visible{outline:4px solid #1b1b1b;outline-offset:2px;box-shadow:0 0 0 8px #ffdd00}
a:focus-visible{background:#ffdd00;color:#1b1b1b}
.skip-link{position:absolute;left:-9999px;top:0;padding:.5rem 1rem;background:#ffdd00;color:#1b1b1b}
.skip-link:focus{left:0;z-index:10}
.visually-hidden{position:absolute!important;width:1px;height:1px;margin:0;padding:0;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap;border:0}
.site-header{background:#0b2e66;color:#fff;padding:.75rem 1rem}
.site-header a,.site-header a:visited{color:#fff}
.site-header a:focus-visible{color:#1b1b1b}
.site-name{margin:0;font-weight:700;font-size:1.25rem}
.site-tagline{margin:0 0 .5rem;font-size:1rem}
.site-nav ul,.languages ul{list-style:none;margin:.25rem 0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.languages{font-size:1rem;border-top:1px solid #5a7bb5;margin-top:.5rem;padding-top:.25rem}
.languages [aria-current]{font-weight:700;text-decoration:none}
main{display:block;max-width:40rem;margin:0 auto;padding:1rem}
main:focus{outline:none}
h1{font-size:1.75rem;line-height:1.25;margin:.5rem 0 1rem}
h2{font-size:1.375rem;margin:1.5rem 0 .5rem}
.site-footer{border-top:4px solid #0b2e66;padding:1rem;font-size:1rem;max-width:40rem;margin:2rem auto 0}
fieldset{border:0;margin:0 0 1.5rem;padding:0;min-width:0}
legend{font-weight:700;font-size:1.25rem;margin-bottom:.25rem;padding:0}
.field{margin-bottom:1.25rem}
.field--error{border-left:5px solid #a4161a;padding-left:.75rem}
label{display:block;font-weight:700;margin-bottom:.25rem}
.req,.opt{font-weight:400}
.hint{color:#4a4a4a;margin:0 0 .25rem}
.error-message{color:#a4161a;font-weight:700;margin:0 0 .25rem}
input[type=text],input[type=email],input[type=tel],input[type=date],input[type=time],input:not([type]),select{display:block;width:100%;max-width:24rem;font:inherit;padding:.5rem;border:2px solid #1b1b1b;border-radius:0;background:#fff;color:#1b1b1b;min-height:2.75rem}
input.code{max-width:10rem;letter-spacing:.2em}
input[aria-invalid=true],select[aria-invalid=true]{border-color:#a4161a;border-width:3px}
.checkbox{display:flex;gap:.75rem;align-items:flex-start}
.checkbox input{width:1.75rem;height:1.75rem;margin:.15rem 0 0;flex:none}
.checkbox label{margin:0}
.consent-text{background:#f3f2f1;padding:.75rem;margin:0 0 .75rem}
.consent-version{font-size:.875rem;color:#4a4a4a}
button{font:inherit;font-weight:700;color:#fff;background:#00703c;border:2px solid transparent;border-radius:0;padding:.6rem 1.25rem;min-height:2.75rem;cursor:pointer;box-shadow:0 2px 0 #002d18}
button:hover{background:#005a30}
button.secondary{background:#f3f2f1;color:#1b1b1b;border-color:#1b1b1b;box-shadow:none}
button.warning{background:#a4161a}
button.warning:hover{background:#7c1013}
.error-summary{border:5px solid #a4161a;padding:1rem;margin:0 0 1.5rem}
.error-summary h2{margin-top:0}
.error-summary ul{margin:0;padding-left:1.25rem}
.error-summary a{color:#a4161a;font-weight:700}
.error-summary a:focus-visible{color:#1b1b1b}
.notice{border-left:6px solid #00703c;background:#eef7f1;padding:.75rem 1rem;margin:0 0 1.5rem}
.notice p{margin:.25rem 0}
.ballot{border-top:2px solid #b1b4b6;padding-top:.5rem;margin-top:1rem}
.timeline{list-style:none;margin:0;padding:0 0 0 1rem;border-left:4px solid #0b2e66}
.timeline li{position:relative;margin:0 0 1rem;padding-left:.75rem}
.timeline li::before{content:"";position:absolute;left:-1.6rem;top:.45em;width:.9rem;height:.9rem;border-radius:50%;background:#0b2e66;border:2px solid #fff}
.timeline .status{display:block;font-weight:700}
.timeline time{color:#4a4a4a}
.section{border-top:2px solid #b1b4b6;margin-top:2rem;padding-top:.5rem}
.action{border:4px solid #a4161a;padding:.75rem 1rem;margin:1rem 0}
.action h3{margin-top:0;color:#a4161a}
a.button,a.button:visited{display:inline-block;font-weight:700;color:#fff;background:#00703c;padding:.6rem 1.25rem;text-decoration:none;box-shadow:0 2px 0 #002d18}
a.button:hover{background:#005a30;color:#fff}
a.button:focus-visible{color:#1b1b1b;background:#ffdd00}
@media (min-width:40rem){body{font-size:1.1875rem}h1{font-size:2.25rem}.site-header{padding:1rem 2rem}}
@media (forced-colors:active){.field--error,.error-summary{border-color:CanvasText}:focus-visible{outline-color:Highlight}}
`.trim();

/** A content hash for the stylesheet URL, so it can be cached for a year. */
export const SITE_CSS_VERSION = createHash('sha256').update(SITE_CSS).digest('hex').slice(0, 12);
export const SITE_CSS_PATH = '/assets/site.css';
