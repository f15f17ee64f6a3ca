// Panel pushes each URL change onto the history but does not listen for back/forward;
// reloading on popstate opens the view the URL describes, exactly like a copied link.
window.addEventListener("popstate", () => window.location.reload());
