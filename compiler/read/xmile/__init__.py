"""XMILE 1.0 (the OASIS standard that Stella and Vensim export), read into a spec."""
