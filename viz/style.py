"""Colours and CSS for a classroom projector: big numbers, readable captions, compact legends."""

COLORS = {
    "price": "#1f4e9c",
    "oracle": "#f28e2b",
    "liq": "#d62728",
    "fund": "#1b7837",
    "penalty": "#6a3d9a",
    "fees": "#1f78b4",
    "injection": "#33a02c",
    "paid": "#e31a1c",
    "target": "#444444",
    "lp": "#1f78b4",
    "adl": "#ff7f00",
    "socialized": "#b15928",
    "unresolved": "#000000",
    "long": "#1a9850",
    "short": "#d73027",
    "vault": "#4575b4",
    "green": "#2e7d32",
    "amber": "#f9a825",
    "red": "#c62828",
    "halt": "#999999",
}


CSS = """
.abm-health { flex-wrap: wrap; margin: 4px 0 12px 0; }
.abm-state, .abm-big, .abm-reason {
  padding: 10px 16px; border-radius: 10px; min-width: 150px;
}
.abm-big, .abm-reason { background: rgba(127, 127, 127, 0.08); }
.abm-reason { flex: 1 1 260px; }
.abm-state { color: white; text-align: center; justify-content: center; }
.abm-state-amber { color: #222; }
.abm-state-word { font-size: 34px; font-weight: 800; letter-spacing: 2px; line-height: 1.1; }
.abm-big-label { font-size: 14px; opacity: 0.75; text-transform: uppercase; letter-spacing: .5px; }
.abm-big-value { font-size: 34px; font-weight: 700; line-height: 1.15; }
.abm-big-note { font-size: 14px; opacity: 0.75; }
.abm-reason-text { font-size: 17px; line-height: 1.35; }
.abm-chart { margin-bottom: 14px; }
.abm-chart-title { font-size: 17px; font-weight: 700; }
.abm-caption { font-size: 13px; opacity: 0.8; }
.abm-feed .abm-feed-list { max-height: 360px; overflow-y: auto; }
.abm-preset p { font-size: 14px; margin: 6px 0; }
.abm-feed-line { font-size: 14px; line-height: 1.35; margin: 4px 0; display: flex; gap: 6px; }
.abm-feed-step { white-space: nowrap; font-weight: 600; min-width: 82px; }
.abm-feed-words { flex: 1 1 auto; }
.abm-explainer, .abm-info { font-size: 15px; }
.abm-prose strong, .abm-prose b { font-weight: 700; }
.abm-prose h4 { font-size: 16px; margin: 10px 0 4px 0; }
.abm-explainer table { border-collapse: collapse; margin-top: 6px; }
.abm-explainer td, .abm-explainer th {
  padding: 2px 10px; border-bottom: 1px solid rgba(127, 127, 127, 0.3);
}
.abm-params { border-collapse: collapse; font-size: 14px; margin-top: 6px; }
.abm-params td {
  padding: 2px 12px 2px 0; border-bottom: 1px solid rgba(127, 127, 127, 0.2); white-space: nowrap;
}
.abm-params tr.abm-changed td { color: #1565c0; }
.abm-gov-list { font-size: 14px; margin: 4px 0 10px 0; padding-left: 18px; }
.abm-gov-number { font-size: 15px; font-weight: 600; }
.abm-step { font-size: 22px; font-weight: 700; }
.abm-error { color: #c62828; font-size: 14px; }
.abm-waits { color: #1565c0; font-size: 12px; margin-top: -6px; }
.abm-waiting .v-label { color: #1565c0 !important; font-weight: 600; }
.abm-setting .v-input__slot { margin-bottom: 0; }
.abm-setting .v-messages { min-height: 0; }
.abm-setting .v-label { font-size: 14px; white-space: normal; }
.abm-setting .v-input__slider .v-label { max-width: 55%; }
.abm-side .v-card__title { font-size: 17px; padding: 10px 14px 4px 14px; }
.abm-side .v-card__text { padding: 4px 14px 10px 14px; }
.abm-echart { min-height: 220px; }
.abm-term { text-decoration: underline dotted; cursor: help; }
.abm-markets { margin-bottom: 12px; }
.abm-market-table { overflow-x: auto; }
.abm-market-table table { border-collapse: collapse; font-size: 14px; margin: 8px 0 4px 0; }
.abm-market-table th { text-align: left; font-weight: 600; }
.abm-market-table td, .abm-market-table th {
  padding: 2px 12px 2px 0; border-bottom: 1px solid rgba(127, 127, 127, 0.25); white-space: nowrap;
}
.abm-market-table tr:last-child td { font-weight: 600; }
.abm-market-table tr.abm-picked td { color: #1565c0; }
.abm-compare-fund { font-size: 30px; font-weight: 700; line-height: 1.15; }
@media (max-width: 600px) {
  .abm-big-value, .abm-state-word { font-size: 26px; }
  .abm-state, .abm-big, .abm-reason { min-width: 130px; padding: 6px 10px; }
}
"""
