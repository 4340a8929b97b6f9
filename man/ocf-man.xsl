<?xml version="1.0"?>
<!-- SPDX-License-Identifier: GPL-2.0-only -->
<!--
  An OCF resource agent's meta-data (resource-agent XML, OCF 1.1) as a man
  page in roff (man(7) macros), section 7, named ocf_PROVIDER_AGENT as
  resource-agents names its pages. Text is escaped for roff (backslashes,
  minus signs, a leading dot or quote); a blank line in a longdesc starts
  a new paragraph.

  Parameters: version (the package's), agent_path (where it is installed),
  provider (default ddraid).
-->
<xsl:stylesheet version="1.0"
	xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:strip-space elements="*"/>

<xsl:param name="version" select="''"/>
<xsl:param name="agent_path" select="''"/>
<xsl:param name="provider" select="'ddraid'"/>

<xsl:variable name="nl" select="'&#10;'"/>
<xsl:variable name="agent" select="/resource-agent/@name"/>

<!-- replace every $from in $text with $to -->
<xsl:template name="replace">
	<xsl:param name="text"/>
	<xsl:param name="from"/>
	<xsl:param name="to"/>
	<xsl:choose>
		<xsl:when test="contains($text, $from)">
			<xsl:value-of select="substring-before($text, $from)"/>
			<xsl:value-of select="$to"/>
			<xsl:call-template name="replace">
				<xsl:with-param name="text" select="substring-after($text, $from)"/>
				<xsl:with-param name="from" select="$from"/>
				<xsl:with-param name="to" select="$to"/>
			</xsl:call-template>
		</xsl:when>
		<xsl:otherwise>
			<xsl:value-of select="$text"/>
		</xsl:otherwise>
	</xsl:choose>
</xsl:template>

<!-- $text as roff text on one line (white space collapsed) -->
<xsl:template name="esc">
	<xsl:param name="text"/>
	<xsl:variable name="bs">
		<xsl:call-template name="replace">
			<xsl:with-param name="text" select="normalize-space($text)"/>
			<xsl:with-param name="from" select="'\'"/>
			<xsl:with-param name="to" select="'\e'"/>
		</xsl:call-template>
	</xsl:variable>
	<xsl:variable name="minus">
		<xsl:call-template name="replace">
			<xsl:with-param name="text" select="$bs"/>
			<xsl:with-param name="from" select="'-'"/>
			<xsl:with-param name="to" select="'\-'"/>
		</xsl:call-template>
	</xsl:variable>
	<!-- a control character at the start of a line would be a request -->
	<xsl:if test="starts-with($minus, '.') or starts-with($minus, &quot;'&quot;)">
		<xsl:text>\&amp;</xsl:text>
	</xsl:if>
	<xsl:value-of select="$minus"/>
</xsl:template>

<!-- $text's paragraphs (separated by a blank line), each after $sep -->
<xsl:template name="paragraphs">
	<xsl:param name="text"/>
	<xsl:param name="sep" select="'.PP'"/>
	<xsl:variable name="first">
		<xsl:choose>
			<xsl:when test="contains($text, concat($nl, $nl))">
				<xsl:value-of select="substring-before($text, concat($nl, $nl))"/>
			</xsl:when>
			<xsl:otherwise>
				<xsl:value-of select="$text"/>
			</xsl:otherwise>
		</xsl:choose>
	</xsl:variable>
	<xsl:if test="normalize-space($first) != ''">
		<xsl:value-of select="concat($sep, $nl)"/>
		<xsl:call-template name="esc">
			<xsl:with-param name="text" select="$first"/>
		</xsl:call-template>
		<xsl:value-of select="$nl"/>
	</xsl:if>
	<xsl:if test="contains($text, concat($nl, $nl))">
		<xsl:call-template name="paragraphs">
			<xsl:with-param name="text" select="substring-after($text, concat($nl, $nl))"/>
			<xsl:with-param name="sep" select="$sep"/>
		</xsl:call-template>
	</xsl:if>
</xsl:template>

<xsl:template match="/resource-agent">
	<xsl:variable name="page" select="concat('ocf_', $provider, '_', $agent)"/>
	<xsl:value-of select="concat('.\&quot; Made from the meta-data of ocf:', $provider, ':', $agent, ' (man/ocf-man.xsl): do not edit.', $nl)"/>
	<xsl:value-of select="concat('.TH ', translate($page, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), ' 7 &quot;&quot; &quot;', $provider, ' ', $version, '&quot; &quot;OCF resource agents&quot;', $nl)"/>

	<xsl:value-of select="concat('.SH NAME', $nl)"/>
	<xsl:value-of select="$page"/>
	<xsl:text> \- </xsl:text>
	<xsl:call-template name="esc">
		<xsl:with-param name="text" select="shortdesc"/>
	</xsl:call-template>
	<xsl:value-of select="$nl"/>

	<xsl:value-of select="concat('.SH SYNOPSIS', $nl)"/>
	<xsl:text>[\fBOCF_RESKEY_\fIparameter\fB=\fIvalue\fR ...]</xsl:text>
	<xsl:value-of select="$nl"/>
	<xsl:text>.B </xsl:text>
	<xsl:call-template name="esc">
		<xsl:with-param name="text">
			<xsl:choose>
				<xsl:when test="$agent_path != ''"><xsl:value-of select="$agent_path"/></xsl:when>
				<xsl:otherwise><xsl:value-of select="$agent"/></xsl:otherwise>
			</xsl:choose>
		</xsl:with-param>
	</xsl:call-template>
	<xsl:value-of select="$nl"/>
	<xsl:text>{</xsl:text>
	<xsl:for-each select="actions/action">
		<xsl:if test="position() > 1">|</xsl:if>
		<xsl:call-template name="esc">
			<xsl:with-param name="text" select="@name"/>
		</xsl:call-template>
	</xsl:for-each>
	<xsl:value-of select="concat('}', $nl)"/>

	<xsl:value-of select="concat('.SH DESCRIPTION', $nl)"/>
	<xsl:call-template name="paragraphs">
		<xsl:with-param name="text" select="longdesc"/>
	</xsl:call-template>
	<xsl:value-of select="concat('.PP', $nl, 'OCF API version ', version, ', agent version ', @version, '.', $nl)"/>

	<xsl:value-of select="concat('.SH PARAMETERS', $nl)"/>
	<xsl:apply-templates select="parameters/parameter"/>

	<xsl:value-of select="concat('.SH ACTIONS', $nl)"/>
	<xsl:apply-templates select="actions/action"/>

	<xsl:value-of select="concat('.SH SEE ALSO', $nl)"/>
	<xsl:value-of select="concat('.BR ddraidd (8),', $nl, '.BR ddraidctl (8),', $nl, '.BR crm_resource (8),', $nl, '.BR pcs (8)', $nl)"/>
</xsl:template>

<xsl:template match="parameter">
	<xsl:value-of select="concat('.TP', $nl, '.B ')"/>
	<xsl:call-template name="esc">
		<xsl:with-param name="text" select="@name"/>
	</xsl:call-template>
	<xsl:value-of select="$nl"/>
	<xsl:text>(</xsl:text>
	<xsl:value-of select="content/@type"/>
	<xsl:if test="@required = '1'">, required</xsl:if>
	<xsl:if test="@unique = '1'">, unique</xsl:if>
	<xsl:if test="@reloadable = '1'">, reloadable</xsl:if>
	<xsl:text>) </xsl:text>
	<xsl:call-template name="esc">
		<xsl:with-param name="text" select="shortdesc"/>
	</xsl:call-template>
	<xsl:value-of select="$nl"/>
	<xsl:call-template name="paragraphs">
		<xsl:with-param name="text" select="longdesc"/>
		<xsl:with-param name="sep" select="'.IP'"/>
	</xsl:call-template>
	<xsl:if test="content/option">
		<xsl:value-of select="concat('.IP', $nl, 'One of: ')"/>
		<xsl:for-each select="content/option">
			<xsl:if test="position() != 1">, </xsl:if>
			<xsl:call-template name="esc">
				<xsl:with-param name="text" select="@value"/>
			</xsl:call-template>
		</xsl:for-each>
		<xsl:value-of select="$nl"/>
	</xsl:if>
	<xsl:if test="string(content/@default) != ''">
		<xsl:value-of select="concat('.IP', $nl, 'Default: ')"/>
		<xsl:call-template name="esc">
			<xsl:with-param name="text" select="content/@default"/>
		</xsl:call-template>
		<xsl:value-of select="$nl"/>
	</xsl:if>
</xsl:template>

<xsl:template match="action">
	<xsl:value-of select="concat('.TP', $nl, '.B ')"/>
	<xsl:call-template name="esc">
		<xsl:with-param name="text" select="@name"/>
	</xsl:call-template>
	<xsl:value-of select="$nl"/>
	<xsl:text>timeout </xsl:text>
	<xsl:value-of select="@timeout"/>
	<xsl:if test="@interval">
		<xsl:value-of select="concat(', interval ', @interval)"/>
	</xsl:if>
	<xsl:if test="@depth">
		<xsl:value-of select="concat(', depth ', @depth)"/>
	</xsl:if>
	<xsl:value-of select="$nl"/>
</xsl:template>

</xsl:stylesheet>
