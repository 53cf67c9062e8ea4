"""`make demo-video`: docs/demo.webm, a narrated walkthrough made from the running product.

Every picture is taken from what runs or what is in the tree when it is built: the terminal walk
is `scripts/demo.sh`'s own output, GraphiQL and Swagger UI are recorded in Chromium against a
live server, the code screens are cut from the source at the functions they name, and the
decision screens read their figures from SOLUTION.md. Captions are spoken by flite (offline) and
shipped as WebVTT beside the video and burned into its bottom band.
"""
